using System;
using System.Text;

namespace PinDemo
{
    /// <summary>
    /// Moves some audio and some bytes through a pipe with libc read/write. Build it to see the
    /// PinAnalyzers warnings (PIN1001, PIN1002, PIN4001); run it to see that the code works all the same —
    /// pin bugs do not crash, they fragment the heap and leak handles quietly.
    /// </summary>
    internal static class Program
    {
        private static int Main()
        {
            using var socket = new PipeSocket();

            byte[] hello = Encoding.ASCII.GetBytes("hello, pinned world");
            socket.Send(hello);
            byte[] received = new byte[hello.Length];
            int count = socket.Receive(received);
            Console.WriteLine($"Send/Receive:           {count} bytes, \"{Encoding.ASCII.GetString(received, 0, count)}\"");

            socket.SendAll(hello);
            Array.Clear(received);
            count = socket.ReceiveExactly(received);
            Console.WriteLine($"SendAll/ReceiveExactly: {count} bytes, \"{Encoding.ASCII.GetString(received, 0, count)}\"");

            socket.SendFixed("fixed"u8);
            byte[] small = new byte[5];
            count = socket.ReceiveExactly(small);
            PipeSocket.Wipe(small);
            Console.WriteLine($"SendFixed/Wipe:         {count} bytes, wiped to {small[0]}{small[4]}");

            using (var ring = new AudioRingBuffer(frames: 256, channels: 2))
            {
                ring.Write([100, -100, 200, -200]);
                byte[] pcm = new byte[ring.DrainTo(socket.WriteFd, 4)];
                socket.ReceiveExactly(pcm);
                ring.Silence();
                Console.WriteLine($"AudioRingBuffer:        drained {pcm.Length} bytes, first sample {BitConverter.ToInt16(pcm)}; {ring.Capacity} samples pinned in the ordinary heap");
            }

            using (var ring = new PinnedRingBuffer(frames: 256, channels: 2))
            {
                ring.Silence();
                byte[] pcm = new byte[ring.DrainTo(socket.WriteFd, 4)];
                socket.ReceiveExactly(pcm);
                Console.WriteLine($"PinnedRingBuffer:       drained {pcm.Length} bytes, first sample {BitConverter.ToInt16(pcm)}; {ring.Capacity} samples on the Pinned Object Heap");
            }

            // A persistent-memory log, only where /mnt/pmem0 exists (never on CI): its RDMA registration is PIN4001.
            using (var log = PmemLog.TryOpen())
            {
                if (log is null)
                {
                    Console.WriteLine($"PmemLog:                {PmemLog.LogPath} is not on this machine, skipped");
                }
                else
                {
                    log.Append(hello);
                    Console.WriteLine($"PmemLog:                appended {log.Length} bytes to {PmemLog.LogPath}");
                }
            }

            return 0;
        }
    }
}
