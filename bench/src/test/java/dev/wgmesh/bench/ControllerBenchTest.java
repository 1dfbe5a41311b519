package dev.wgmesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The operator's heap as the benchmark reads it from {@code jcmd GC.heap_info}, for each collector. */
class ControllerBenchTest {
  @Test
  void theSerialCollectorsHeapIsBothGenerations() {
    String info = """
        12345:
         def new generation   total 116160K, used 20706K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)
          eden space 103296K,  20% used [0x0000000687400000, 0x0000000688838930, 0x000000068d8e0000)
         tenured generation   total 258048K, used 1000K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
           the space 258048K,   0% used [0x0000000704d50000, 0x0000000704d50000, 0x0000000704d50200, 0x0000000714950000)
         Metaspace       used 8979K, committed 9152K, reserved 1114112K
        """;
    assertEquals((20706 + 1000) * 1024L, ControllerBench.heapUsed(info));
  }

  @Test
  void g1sHeapIsOneLine() {
    String info = """
        12345:
         garbage-first heap   total 397312K, used 18602K [0x0000000687400000, 0x0000000800000000)
          region size 4096K, 4 young (16384K), 0 survivors (0K)
         Metaspace       used 8952K, committed 9152K, reserved 1114112K
        """;
    assertEquals(18602 * 1024L, ControllerBench.heapUsed(info));
  }

  @Test
  void theParallelCollectorsHeapIsBothGenerations() {
    String info = """
         PSYoungGen      total 113152K, used 19456K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)
         ParOldGen       total 258048K, used 5K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)
         Metaspace       used 8951K, committed 9152K, reserved 1114112K
        """;
    assertEquals((19456 + 5) * 1024L, ControllerBench.heapUsed(info));
  }

  /** An output this does not know (another collector, an error of jcmd) stops the run instead of reporting no heap. */
  @Test
  void anUnknownOutputIsAnError() {
    assertThrows(IllegalStateException.class, () -> ControllerBench.heapUsed("12345:\nio.IOException: No such process\n"));
  }
}
