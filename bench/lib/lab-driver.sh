# shellcheck shell=bash
# The body of a NAT-lab benchmark script whose driver is a class in bench/target/wgmesh-bench.jar
# (convergence, nat-matrix, registry-failover). Source it after common.sh and bin/lib/tools.sh,
# with BENCH_NAME, REPO and MAIN set; then call lab_driver_main "$@".
#
# lab_driver_main: --help prints the calling script's header comment; otherwise checks root, the
# lab's tools and /dev/net/tun, builds the jars when they are missing or predate the driver, and
# execs the driver with its process logs in target/$BENCH_NAME-logs/ and its report in
# bench/results/$BENCH_NAME-<date>.txt.

PRODUCT=$REPO/cli/target/wgmesh.jar
JAR=$REPO/bench/target/wgmesh-bench.jar

lab_driver_usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

lab_driver_prerequisites() {
  # the NAT lab's tools (the one list in lab/, as bin/test and the demo use it) and this benchmark's own
  ensure_tools "$0" java:openjdk-17-jre-headless || die "cannot install what the benchmark needs"
  ((EUID == 0)) || die "needs root for network namespaces and WireGuard: sudo $0"
  [[ -c /dev/net/tun ]] || die "/dev/net/tun is missing: wireguard-go needs the tun driver (modprobe tun)"
}

# Builds the jars when they are missing or predate the benchmark driver. "package", not
# "install": the reactor resolves the modules, and the local Maven repository stays untouched.
lab_driver_ensure_jars() {
  if [[ ! -f $PRODUCT || ! -f $JAR ]] || ! java -cp "$JAR" "$MAIN" --help >/dev/null 2>&1; then
    say "building wgmesh and its benchmark driver (cli/target/wgmesh.jar, bench/target/wgmesh-bench.jar)..."
    (cd "$REPO" && ./mvnw -q -B -pl cli,bench -am package -DskipTests) >&2 || die "the build failed; see above"
  fi
  java -cp "$JAR" "$MAIN" --help >/dev/null 2>&1 || die "$JAR does not run $MAIN"
}

lab_driver_main() {
  case "${1:-}" in
    -h | --help)
      lab_driver_usage
      exit 0
      ;;
    "") ;;
    *) die "unknown argument '$1' (settings come from the environment; see --help)" ;;
  esac
  lab_driver_prerequisites
  lab_driver_ensure_jars
  local stamp results logs commit
  stamp=$(date -u +%Y%m%d-%H%M%S)
  commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ $commit != unknown && -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    commit="$commit (with uncommitted changes)"
  fi
  results=$REPO/bench/results/$BENCH_NAME-$stamp.txt
  logs=$REPO/target/$BENCH_NAME-logs
  mkdir -p "$REPO/bench/results"
  rm -rf "$logs" # the previous run's process logs
  say "logs of this run: $logs"
  # exec: Ctrl-C and SIGTERM reach the JVM directly, whose shutdown hook removes the labs.
  exec java -XX:+UseSerialGC -Dwgmesh.lab.logDir="$logs" -Dbench.commit="$commit" -Dwgmesh.jar="$PRODUCT" -Dwgmesh.chart="$REPO/helm/wgmesh" -cp "$JAR" "$MAIN" --out "$results"
}
