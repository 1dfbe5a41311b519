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
The name of a registry's Deployment, Service and node config; call with (list <mesh> <registry>),
<registry> "" for a mesh's single registry. The same function as RegistryObjectNames.object in the
api module (RegistryNamesChartTest compares them): <mesh>-registry[-<registry>] where that is an RFC
1035 label (a Service's name), else a readable prefix, '-' and 13 hex digits of the SHA-256 of
<mesh> (or <mesh>/<registry>), e.g. for a mesh named with a dot.
*/}}
{{- define "wgmesh.registryObject" -}}
{{- $mesh := index . 0 -}}
{{- $registry := index . 1 -}}
{{- $plain := printf "%s-registry" $mesh -}}
{{- $hashed := $mesh -}}
{{- $plainRegistry := true -}}
{{- if $registry -}}
{{- $plain = printf "%s-registry-%s" $mesh $registry -}}
{{- $hashed = printf "%s/%s" $mesh $registry -}}
{{- $plainRegistry = and (le (len $registry) 12) (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $registry) -}}
{{- end -}}
{{- if and $plainRegistry (le (len $plain) 63) (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $plain) -}}
{{- $plain -}}
{{- else -}}
{{- $readable := regexReplaceAll "[^a-z0-9-]" (lower $plain) "-" -}}
{{- if not (regexMatch "^[a-z]" $readable) -}}
{{- $readable = printf "m-%s" $readable -}}
{{- end -}}
{{- $readable = regexReplaceAll "-+$" (trunc 49 $readable) "" -}}
{{- printf "%s-%s" $readable (trunc 13 (sha256sum $hashed)) -}}
{{- end -}}
{{- end -}}

{{/*
The registries' object names (wgmesh.registryObject: <mesh>-registry, or <mesh>-registry-<name>
for each of several), of mesh.name and of registry.extraMeshes, as a list: their configs and, with
"-key", their Secrets are what the registry's RBAC names (resourceNames).
*/}}
{{- define "wgmesh.registryObjects" -}}
{{- $names := list -}}
{{- if .Values.mesh.registries -}}
{{- range .Values.mesh.registries -}}
{{- $names = append $names (include "wgmesh.registryObject" (list $.Values.mesh.name .name)) -}}
{{- end -}}
{{- else -}}
{{- $names = append $names (include "wgmesh.registryObject" (list .Values.mesh.name "")) -}}
{{- end -}}
{{- range .Values.registry.extraMeshes -}}
{{- if kindIs "string" . -}}
{{- $names = append $names (include "wgmesh.registryObject" (list . "")) -}}
{{- else -}}
{{- $mesh := .name -}}
{{- range .registries -}}
{{- $names = append $names (include "wgmesh.registryObject" (list $mesh .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson (uniq $names) -}}
{{- end -}}

{{/*
The registries' key Secrets the registry may read (resourceNames).
*/}}
{{- define "wgmesh.registryKeySecrets" -}}
{{- $names := list -}}
{{- range (include "wgmesh.registryObjects" . | fromJsonArray) -}}
{{- $names = append $names (printf "%s-key" .) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{- define "wgmesh.registryConfigs" -}}
{{- include "wgmesh.registryObjects" . -}}
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
{{- $seen := dict -}}
{{- range .Values.mesh.registries -}}
{{- if hasKey $seen .name -}}
{{- fail (printf "mesh.registries: the name %q is used twice; each registry needs its own name" .name) -}}
{{- end -}}
{{- $_ := set $seen .name true -}}
{{- if and (eq (default "HostNetwork" .exposure) "LoadBalancer") .nodeName -}}
{{- fail (printf "mesh.registries[%s].nodeName pins the registry to a node and applies only to exposure HostNetwork" .name) -}}
{{- end -}}
{{- if gt (add (len $.Values.mesh.name) (len .name)) 49 -}}
{{- fail (printf "mesh.name and mesh.registries[%s].name have at most 49 characters together (the Secret <mesh>-registry-<name>-key is a DNS label)" .name) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.mesh.create (eq .Values.mesh.registry.exposure "LoadBalancer") .Values.mesh.registry.nodeName -}}
{{- fail "mesh.registry.nodeName pins the registry to a node and applies only to mesh.registry.exposure=HostNetwork" -}}
{{- end -}}
{{- end -}}
