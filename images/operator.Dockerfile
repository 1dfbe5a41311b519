# syntax=docker/dockerfile:1
# The operator image: a JRE 17 and the wgmesh jar, run as a non-root user.
#
# Build from the repository root (images/build does this):
#   docker build -f images/operator.Dockerfile -t wgmesh:<version> .
# images/operator.Dockerfile.dockerignore keeps target/ directories and .git out of the context.

ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build: Maven + JDK 17, the same command bin/wgmesh runs, for the launcher module and what it needs
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
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 wgmesh \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin wgmesh
COPY --from=build /wgmesh.jar /opt/wgmesh/wgmesh.jar
COPY --chmod=0755 images/wgmesh /usr/local/bin/wgmesh
# The chart runs it with readOnlyRootFilesystem and a writable /tmp.
USER 65532:65532
ENTRYPOINT ["wgmesh"]
CMD ["operator", "--help"]
