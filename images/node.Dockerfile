# syntax=docker/dockerfile:1
# The node image: the wgmesh jar with what the agent and the registry drive on a node:
# wireguard-tools (wg), wireguard-go (userspace WireGuard where the kernel has no module),
# iproute2 (ip) and iptables. Used by the agent DaemonSet and by the registry Deployment that the
# operator creates (--registry-image).
#
# Build from the repository root (images/build does this):
#   docker build -f images/node.Dockerfile -t wgmesh-node:<version> .
# images/node.Dockerfile.dockerignore keeps target/ directories and .git out of the context.

ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build: identical to operator.Dockerfile's, so BuildKit builds it once for both images
FROM ${BUILD_IMAGE} AS build
# PREBUILT_JAR (images/build --buildah): the context holds a jar built outside, at that path,
# and the build stage only copies it, so any base with a shell will do.
ARG PREBUILT_JAR=
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    if [ -n "$PREBUILT_JAR" ]; then cp "$PREBUILT_JAR" /wgmesh.jar; else \
    ./mvnw -B -q -pl cli -am package -DskipTests \
 && cp cli/target/wgmesh.jar /wgmesh.jar; fi

# ---- runtime
FROM ${RUNTIME_IMAGE}
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless ca-certificates \
      wireguard-tools wireguard-go iproute2 iptables \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /wgmesh.jar /opt/wgmesh/wgmesh.jar
COPY --chmod=0755 images/wgmesh /usr/local/bin/wgmesh
# Root: the agent creates interfaces, addresses and routes with NET_ADMIN, which Kubernetes grants
# only to root (the chart drops every other capability and makes the root filesystem read-only).
# wireguard-go keeps its UAPI socket in /var/run/wireguard (an emptyDir in the chart).
ENTRYPOINT ["wgmesh"]
CMD ["agent", "--help"]
