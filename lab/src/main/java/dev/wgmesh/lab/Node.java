package dev.wgmesh.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network namespace of a lab: a host, a NAT router or the internet. Commands run inside it
 * through {@code ip netns exec <namespace>}.
 */
public class Node {
  final Lab lab;
  private final String name;
  private final String namespace;

  Node(Lab lab, String name, String namespace) {
    this.lab = lab;
    this.name = name;
    this.namespace = namespace;
  }

  /** The name given in the lab (e.g. {@code "a"}); the namespace name is derived from it. */
  public String name() {
    return name;
  }

  /** The network namespace, unique per lab: {@code <labId>-<name>}. */
  public String namespace() {
    return namespace;
  }

  public Lab lab() {
    return lab;
  }

  /** Runs a command in this namespace with the default timeout (30 s); never throws for a non-zero exit. */
  public ExecResult exec(String... command) {
    return exec(Shell.DEFAULT_TIMEOUT, List.of(command));
  }

  /** Runs a command in this namespace; throws {@link LabCommandException} only when it times out. */
  public ExecResult exec(Duration timeout, List<String> command) {
    return Shell.run(inNamespace(command), timeout);
  }

  /** Like {@link #exec(String...)}, but throws {@link LabCommandException} unless the exit code is 0. */
  public ExecResult execOk(String... command) {
    return execOk(Shell.DEFAULT_TIMEOUT, List.of(command));
  }

  /** Like {@link #exec(Duration, List)}, but throws {@link LabCommandException} unless the exit code is 0. */
  public ExecResult execOk(Duration timeout, List<String> command) {
    return exec(timeout, command).orThrow();
  }

  /** Runs a command with {@code stdin} as its input; throws unless the exit code is 0. */
  ExecResult execOk(byte[] stdin, List<String> command) {
    return Shell.run(inNamespace(command), Shell.DEFAULT_TIMEOUT, stdin).orThrow();
  }

  /**
   * Starts a background process in this namespace; stdout and stderr go to
   * {@code <lab log dir>/<node>-<name>.log}. The lab stops it on close.
   */
  public ManagedProcess spawn(String name, List<String> command) {
    return spawn(name, command, Map.of());
  }

  /** Like {@link #spawn(String, List)}, with extra environment variables. */
  public ManagedProcess spawn(String name, List<String> command, Map<String, String> environment) {
    return lab.spawn(this, name, command, environment);
  }

  /**
   * Starts {@code java -cp <this JVM's class path> mainClass args} in this namespace, with the
   * JDK that runs the caller: the way to run wgmesh's own daemons (registry, agent) in a lab.
   */
  public ManagedProcess spawnJava(String name, String mainClass, String... args) {
    return spawn(name, javaCommand(System.getProperty("java.class.path"), mainClass, List.of(args)));
  }

  static List<String> javaCommand(String classpath, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, mainClass));
    cmd.addAll(args);
    return cmd;
  }

  /** The process ids of everything running in this namespace (from {@code ip netns pids}). */
  public List<Long> pids() {
    return Leftovers.namespacePids(namespace);
  }

  List<String> inNamespace(List<String> command) {
    List<String> full = new ArrayList<>(4 + command.size());
    full.addAll(List.of("ip", "netns", "exec", namespace));
    full.addAll(command);
    return full;
  }

  void sysctl(String... settings) {
    List<String> command = new ArrayList<>(List.of("sysctl", "-q", "-w"));
    command.addAll(List.of(settings));
    execOk(Shell.DEFAULT_TIMEOUT, command);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + " in " + namespace + "]";
  }
}
