using System.IO;
using System.Runtime.InteropServices;
using PinAnalyzers.Leases;

namespace FixFixtures.PIN5003
{
    static class Native
    {
        [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

        public static void NeverDisposed(int fd, PinLease<byte> lease)
        {
            var scope = lease.Enter();
            write(fd, scope.Address, scope.Length);
        }

        public static void DisposedAfterAThrowingCall(Stream destination, MappedViewLease log)
        {
            var scope = log.Enter();
            destination.Write(scope.Span);
            scope.Dispose();
        }

        public static int EarlyReturn(PinLease<byte> lease, byte[] header)
        {
            var scope = lease.Enter();
            if (header.Length == 0)
            {
                scope.Dispose();
                return -1;
            }

            return scope.Span[0];
        }
    }
}
