using System;
using System.IO;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN1002
{
    static class Native
    {
        [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

        public static void NeverFreed(Stream log, int fd, byte[] buffer)
        {
            var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            log.Flush();
            write(fd, handle.AddrOfPinnedObject(), buffer.Length);
        }

        public static void FreedAfterAThrowingCall(Stream source, int fd, byte[] buffer)
        {
            var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            var count = source.Read(buffer, 0, buffer.Length);
            write(fd, handle.AddrOfPinnedObject(), count);
            handle.Free();
        }

        public static void FreedOnOnePath(Stream source, byte[] buffer, bool quick)
        {
            var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            if (quick)
            {
                handle.Free();
                return;
            }

            source.Flush();
            handle.Free();
        }

        public static void TypedHandle(Stream log, int fd, byte[] buffer)
        {
            var handle = new PinnedGCHandle<byte[]>(buffer);
            log.Flush();
            unsafe
            {
                write(fd, (nint)handle.GetAddressOfArrayData(), buffer.Length);
            }
        }
    }
}
