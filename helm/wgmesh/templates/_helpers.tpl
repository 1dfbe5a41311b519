{{/*
The namespace of every namespaced object: namespace.name, or the release namespace.
*/}}
{{- define "wgmesh.namespace" -}}
{{- default .Release.Namespace .Values.namespace.name -}}
{{- end -}}

{{/*
Common labels; call with (dict "root" $ "component" "operator").
*/}}
{{- define "wgmesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: wgmesh
{{ include "wgmesh.selectorLabels" . }}
{{- end -}}

{{/*
Selector labels; call with (dict "root" $ "component" "operator").
*/}}
{{- define "wgmesh.selectorLabels" -}}
app.kubernetes.io/name: wgmesh
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
An image reference; call with (dict "root" $ "image" .Values.image.node).
*/}}
{{- define "wgmesh.image" -}}
{{- $img := .root.Values.image -}}
{{- $tag := default .root.Chart.AppVersion $img.tag -}}
{{- if $img.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $img.registry) .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "wgmesh.operatorImage" -}}
{{- include "wgmesh.image" (dict "root" . "image" .Values.image.operator) -}}
{{- end -}}

{{- define "wgmesh.nodeImage" -}}
{{- include "wgmesh.image" (dict "root" . "image" .Values.image.node) -}}
{{- end -}}

{{/*
The service account names. They are fixed (the admission policy and the operator refer to them).
*/}}
{{- define "wgmesh.operatorServiceAccount" -}}wgmesh-operator{{- end -}}
{{- define "wgmesh.agentServiceAccount" -}}wgmesh-agent{{- end -}}
{{- define "wgmesh.registryServiceAccount" -}}wgmesh-registry{{- end -}}

{{/*
The meshes whose registry key Secret the registry may read (resourceNames).
*/}}
{{- define "wgmesh.registryKeySecrets" -}}
{{- $names := list (printf "%s-registry-key" .Values.mesh.name) -}}
{{- range .Values.registry.extraMeshes -}}
{{- $names = append $names (printf "%s-registry-key" .) -}}
{{- end -}}
{{- toJson (uniq $names) -}}
{{- end -}}

{{- define "wgmesh.registryConfigs" -}}
{{- $names := list (printf "%s-registry" .Values.mesh.name) -}}
{{- range .Values.registry.extraMeshes -}}
{{- $names = append $names (printf "%s-registry" .) -}}
{{- end -}}
{{- toJson (uniq $names) -}}
{{- end -}}

{{/*
Checks that span values (the schema checks each value on its own).
*/}}
{{- define "wgmesh.validate" -}}
{{- if .Values.namespace.create -}}
{{- if not .Values.namespace.name -}}
{{- fail "namespace.create=true needs namespace.name: the namespace to create (Helm keeps the release in the release namespace, which must exist already)" -}}
{{- end -}}
{{- if eq .Values.namespace.name .Release.Namespace -}}
{{- fail (printf "namespace.create=true: namespace.name %q is the release namespace, which Helm needs before it creates anything; install the release into another namespace (e.g. -n default), or set namespace.create=false and label %q yourself" .Values.namespace.name .Values.namespace.name) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.mesh.create (eq .Values.mesh.registry.exposure "LoadBalancer") .Values.mesh.registry.nodeName -}}
{{- fail "mesh.registry.nodeName pins the registry to a node and applies only to mesh.registry.exposure=HostNetwork" -}}
{{- end -}}
{{- end -}}
