using System;
using System.IO;
using System.Threading.Tasks;

namespace FixFixtures.PIN3002
{
    unsafe static class Native
    {
        public static void NeverDisposed(Stream log, Memory<byte> memory)
        {
            var handle = memory.Pin();
            log.Flush();
            Console.WriteLine((nint)handle.Pointer);
        }

        public static void DisposedAfterAThrowingCall(Stream source, Memory<byte> memory)
        {
            var handle = memory.Pin();
            source.Read(new Span<byte>(handle.Pointer, memory.Length));
            handle.Dispose();

            Console.WriteLine("copied");
        }

        public static void DisposedOnOnePath(Stream log, Memory<byte> memory, bool skip)
        {
            var handle = memory.Pin();
            if (skip)
            {
                handle.Dispose();
                return;
            }

            log.Flush();
            handle.Dispose();
        }
    }

    static class Async
    {
        public static async Task CopyAsync(Stream source, Memory<byte> memory)
        {
            var handle = memory.Pin();
            await source.ReadAsync(memory);
            handle.Dispose();
        }
    }
}
