package dev.wgmesh.registry.dns;

import dev.wgmesh.registry.dns.QueryObserver.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of {@link DnsServer} on Linux's epoll through Netty's native transport: each worker
 * thread owns one socket per address (SO_REUSEPORT), receives up to {@link #BATCH} queries with one
 * {@code recvmmsg}, answers each into a reused buffer with the same {@link QueryProcessor} as the
 * java.nio path, and sends all answers of a wake-up with one {@code sendmmsg}. Only the system
 * calls differ from the java.nio path: the answers are the processor's, byte for byte.
 */
final class EpollUdp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EpollUdp.class);

  /**
   * The receive slot of one datagram. A UDP query longer than this arrives cut and is answered
   * FORMERR (or not at all, as any malformed packet); DNS queries are far shorter (a question and
   * an OPT record), and longer messages, such as large UPDATEs, go over TCP.
   */
  static final int MAX_QUERY = 4096;
  /** Datagrams per {@code recvmmsg}. */
  static final int BATCH = 16;
  /** Datagrams read per wake-up before the answers are flushed (with one {@code sendmmsg}). */
  static final int MAX_READ_PER_WAKEUP = 64;
  /** Answers queued behind a full socket buffer before further answers are dropped. */
  private static final int MAX_QUEUED_BYTES = 1 << 20;

  private final EventLoopGroup group;
  private final List<Channel> channels = new ArrayList<>();

  private EpollUdp(int threads) {
    this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("dns-udp-epoll", true),
        EpollIoHandler.newFactory());
  }

  /** Null when the native transport can be used here, else why not (one line). */
  static String unavailableBecause() {
    try {
      if (Epoll.isAvailable()) {
        return null;
      }
      Throwable cause = Epoll.unavailabilityCause();
      return cause == null ? "unknown reason" : String.valueOf(cause.getMessage());
    } catch (LinkageError e) {
      return e.toString(); // the netty classes themselves are missing or broken
    }
  }

  /** A group of {@code threads} event loops, with no socket yet. */
  static EpollUdp create(int threads) {
    return new EpollUdp(threads);
  }

  /**
   * Binds {@code sockets} UDP sockets to {@code address} (SO_REUSEPORT), spread over the event
   * loops one each, answering with {@code processor}.
   */
  void bind(QueryProcessor processor, InetSocketAddress address, int sockets) throws IOException {
    for (int i = 0; i < sockets; i++) {
      Bootstrap bootstrap = new Bootstrap()
          .group(group)
          .channel(EpollDatagramChannel.class)
          .option(EpollChannelOption.SO_REUSEPORT, true)
          .option(ChannelOption.SO_RCVBUF, 4 << 20)
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_QUERY)
          .option(ChannelOption.RCVBUF_ALLOCATOR, new Batches())
          .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(MAX_QUEUED_BYTES / 2, MAX_QUEUED_BYTES))
          .handler(new Answerer(processor));
      ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
      if (!bound.isSuccess()) {
        Throwable cause = bound.cause();
        throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause.getMessage()), cause);
      }
      channels.add(bound.channel());
    }
  }

  @Override
  public void close() {
    for (Channel channel : channels) {
      channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  /**
   * Receive buffers of {@link #BATCH} slots, and a read loop that stops at the first batch that
   * was not full: the socket was empty then, and another {@code recvmmsg} would only say so again
   * (a datagram that arrives later wakes the loop anew). Netty's own allocators read until a call
   * returns nothing, one more system call per wake-up.
   */
  private static final class Batches extends DefaultMaxMessagesRecvByteBufAllocator {
    Batches() {
      super(MAX_READ_PER_WAKEUP);
    }

    @Override
    public Handle newHandle() {
      return new MaxMessageHandle() {
        @Override
        public int guess() {
          return MAX_QUERY * BATCH;
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreData) {
          return super.continueReading(maybeMoreData) && lastBytesRead() == attemptedBytesRead();
        }
      };
    }
  }

  /**
   * Answers the queries of one socket, on its event loop thread only: the buffers are reused for
   * every query, and the answers of one wake-up go out together when the reads are complete.
   */
  private static final class Answerer extends ChannelInboundHandlerAdapter {
    private final QueryProcessor processor;
    private final byte[] query = new byte[MAX_QUERY];
    private final byte[] response = new byte[QueryProcessor.MAX_RESPONSE];
    private boolean unflushed;

    Answerer(QueryProcessor processor) {
      this.processor = processor;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      DatagramPacket packet = (DatagramPacket) msg;
      try {
        ByteBuf content = packet.content();
        int length = Math.min(content.readableBytes(), query.length);
        content.getBytes(content.readerIndex(), query, 0, length);
        InetSocketAddress sender = packet.sender();
        int n = processor.process(query, length, Transport.UDP, sender.getAddress(), response);
        if (n < 0) {
          return;
        }
        if (!ctx.channel().isWritable()) {
          return; // the socket buffer is full and answers are queued: drop, as the kernel would
        }
        ByteBuf out = ctx.alloc().directBuffer(n, n);
        out.writeBytes(response, 0, n);
        ctx.write(new DatagramPacket(out, sender), ctx.voidPromise());
        unflushed = true;
      } finally {
        packet.release();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (unflushed) {
        unflushed = false;
        ctx.flush();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // e.g. ICMP port unreachable surfaced on send: one lost answer, keep serving.
      log.debug("udp error: {}", cause.toString());
    }
  }
}
