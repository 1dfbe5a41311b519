package dev.wgmesh.lab;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ping -D -n -i <interval>} from one {@link StandaloneMesh.Node} to another's tunnel
 * address, running until closed: each reply is read from ping's log with its arrival time and
 * sequence number, so that callers measure when traffic passed again ({@link #awaitReply}) and
 * which requests were never answered ({@link #unanswered}).
 */
public final class PingWatch implements AutoCloseable {
  private static final Pattern REPLY = Pattern.compile("^\\[(\\d+)\\.(\\d{6})\\] \\d+ bytes from .*icmp_seq=(\\d+)");

  /** One reply: the request's sequence number and the reply's arrival time. */
  public record Reply(int seq, Instant at) {}

  private final ManagedProcess process;
  private final List<Reply> replies = new ArrayList<>();
  private final StringBuilder partial = new StringBuilder();
  private long offset;
  /** How many of {@link #replies} {@link #newReplies()} has handed out. */
  private int handedOut;

  /** A request every 100 ms. */
  public PingWatch(StandaloneMesh.Node from, StandaloneMesh.Node to) {
    this(from, to, "0.1");
  }

  /** A request every {@code interval} seconds ({@code ping -i}, e.g. {@code "0.05"}). */
  public PingWatch(StandaloneMesh.Node from, StandaloneMesh.Node to, String interval) {
    this(from.host, to.name, to.tunnelIp, interval);
  }

  /** From a host to a tunnel address ({@code name} names the log), a request every {@code interval} seconds. */
  public PingWatch(Host from, String name, String address, String interval) {
    process = from.spawn("ping-" + name, List.of("ping", "-D", "-n", "-i", interval, address));
  }

  /**
   * Waits for the first reply that arrived at or after {@code after} and for which
   * {@code pathOk} holds when it is seen (checked within ~20 ms of its arrival); returns its
   * arrival time, or empty when none comes within {@code limit} of {@code after}.
   */
  public Optional<Instant> awaitReply(Instant after, Duration limit, BooleanSupplier pathOk) {
    Instant deadline = after.plus(limit);
    while (Instant.now().isBefore(deadline)) {
      for (Instant reply : newReplies()) {
        if (!reply.isBefore(after) && pathOk.getAsBoolean()) {
          return Optional.of(reply);
        }
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("ping exited:\n" + process.log());
      }
      ManagedProcess.sleep(20);
    }
    return Optional.empty();
  }

  /** Whether ping still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The arrival times of the replies that came since the last call (or since {@link #awaitReply} last read). */
  public List<Instant> newReplies() {
    read();
    List<Instant> fresh = replies.subList(handedOut, replies.size()).stream().map(Reply::at).toList();
    handedOut = replies.size();
    return fresh;
  }

  /** Every reply so far, in arrival order. */
  public List<Reply> replies() {
    read();
    return List.copyOf(replies);
  }

  /**
   * The requests never answered among those from the first one answered at or after {@code from}
   * to the last one answered at or before {@code to} (their sequence numbers, in order). Requests
   * after the last answered one are not judged: their answers may still be on their way. Throws
   * when no reply arrived in the window, which judges nothing.
   */
  public List<Integer> unanswered(Instant from, Instant to) {
    read();
    List<Reply> inWindow = replies.stream().filter(r -> !r.at().isBefore(from) && !r.at().isAfter(to)).toList();
    if (inWindow.isEmpty()) {
      throw new IllegalStateException("no ping reply between " + from + " and " + to + ":\n" + ManagedProcess.tail(process.log()));
    }
    int first = inWindow.stream().mapToInt(Reply::seq).min().getAsInt();
    int last = inWindow.stream().mapToInt(Reply::seq).max().getAsInt();
    TreeSet<Integer> answered = new TreeSet<>();
    replies.forEach(r -> answered.add(r.seq()));
    List<Integer> missing = new ArrayList<>();
    for (int seq = first; seq <= last; seq++) {
      if (!answered.contains(seq)) {
        missing.add(seq);
      }
    }
    return missing;
  }

  /** ping's output (its replies and summary), for failure messages. */
  public String log() {
    return process.log();
  }

  private void read() {
    try (RandomAccessFile f = new RandomAccessFile(process.logFile().toFile(), "r")) {
      long length = f.length();
      if (length <= offset) {
        return;
      }
      byte[] chunk = new byte[(int) (length - offset)];
      f.seek(offset);
      f.readFully(chunk);
      offset = length;
      partial.append(new String(chunk, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      return;
    }
    int nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      String line = partial.substring(0, nl);
      partial.delete(0, nl + 1);
      Matcher m = REPLY.matcher(line);
      if (m.find()) {
        replies.add(new Reply(Integer.parseInt(m.group(3)),
            Instant.ofEpochSecond(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) * 1000)));
      }
    }
  }

  @Override
  public void close() {
    process.stop();
  }
}
