# market-collector as a container image; docs/CONTAINER.md says how to build, run and configure it.
#   podman build --format docker -t market-collector:0.1.0 .    (or: docker build -t market-collector:0.1.0 .)
# Without a registry, scripts/container-base-images.sh makes the two base images from Debian's archive.
# The contract deployments rely on, kept as it is: uid/gid 10001; the entrypoint with no arguments
# runs the collector; LOCAL_DIR and LOCAL_STORE_DIR under /var/lib/market-collector; metrics, /healthz
# and /readyz on 0.0.0.0:9108; JSON logs on stderr; SIGTERM seals and stores open parts, then exit 0.

# What the collector links besides libc6, libgcc-s1 and libstdc++6 (in the base image); the build
# stage stops when the binary needs a library from a package missing here.
ARG RUNTIME_PACKAGES="ca-certificates libcurl4 libdeflate0 libfmt9 libsimdjson14 libspdlog1.10 libssl3 libyaml-cpp0.7"

FROM debian:bookworm AS build
WORKDIR /src
# The script alone first: the packages' layer is rebuilt when their list changes, not at every edit.
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh --compile-only \
 && apt-get install -y -qq --no-install-recommends ccache >/dev/null
COPY . .
# --version and the build_info metric name this commit (--build-arg GIT_COMMIT=$(git rev-parse --short HEAD));
# the context has no .git, so without it they say "unknown". A new value recompiles from ccache.
ARG GIT_COMMIT=""
# The release preset's -O2 without -g: the same code (GCC's output does not depend on -g) in a third
# less compile time, stripped anyway. No tests or benchmarks. ccache in a cache mount recompiles only
# what an edit changed when the image is built again on the same host.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake --preset release -DMC_BUILD_TESTS=OFF -DMC_BUILD_BENCH=OFF -DMC_GIT_COMMIT="${GIT_COMMIT}" \
          -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null \
 && cmake --build --preset release --target market-collector -j"$(nproc)" \
 && install -D --strip build/release/src/app/market-collector /out/usr/bin/market-collector \
 && rm -rf build
ARG RUNTIME_PACKAGES
RUN dir=$(gcc -print-multiarch) \
 && for lib in $(objdump -p /out/usr/bin/market-collector | awk '$1 == "NEEDED" {print $2}'); do \
      pkg=$(dpkg -S "/lib/$dir/$lib" "/usr/lib/$dir/$lib" 2>/dev/null | head -1 | cut -d: -f1); \
      case " $RUNTIME_PACKAGES libc6 libgcc-s1 libstdc++6 " in *" $pkg "*) ;; \
        *) echo "market-collector links $lib from ${pkg:-no package}: add it to RUNTIME_PACKAGES" >&2; exit 1 ;; \
      esac; \
    done

FROM debian:bookworm-slim
ARG RUNTIME_PACKAGES
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends $RUNTIME_PACKAGES >/dev/null \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid and gid, which Kubernetes' runAsUser/fsGroup and ECS task definitions name.
RUN groupadd --gid 10001 collector \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/market-collector --no-create-home \
            --shell /usr/sbin/nologin collector \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/market-collector \
            /var/lib/market-collector/spool /var/lib/market-collector/store
COPY --from=build /out/ /

ENV LOCAL_DIR=/var/lib/market-collector/spool \
    LOCAL_STORE_DIR=/var/lib/market-collector/store \
    METRICS_ADDR=0.0.0.0:9108 \
    LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/market-collector
# The spool is the source of truth until the store has a part: it must outlive the container.
VOLUME /var/lib/market-collector/spool
EXPOSE 9108
# The collector blocks SIGTERM and SIGINT and sigwaits for them, so as PID 1 it still drains: it
# seals and stores open parts within STOP_TIMEOUT_SECS (20 s), then waits for a PUT in flight (S3:
# up to 120 s). Give the runtime's stop timeout 150 s, as the systemd unit (docker stop: 10 s).
STOPSIGNAL SIGTERM
# /healthz over bash's /dev/tcp (the slim image has no curl) on METRICS_ADDR's port, which must then
# listen on 0.0.0.0 or 127.0.0.1. podman keeps HEALTHCHECK only with --format docker.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${METRICS_ADDR##*:} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/bin/market-collector"]

# Last, so that a new revision does not rebuild the layers above.
ARG VERSION=0.1.0
ARG REVISION=""
ARG SOURCE_URL=""
# Apache-2.0, as LICENSE and packaging/deb/copyright.
LABEL org.opencontainers.image.title="market-collector" \
      org.opencontainers.image.description="Binance trade streams to S3 as rotated gzip parts with manifests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0"
