using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using PinAnalyzers.Leases;

namespace FixFixtures.PIN5001
{
    static class Native
    {
        [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

        public static void NeverDisposed(int fd, byte[] buffer)
        {
            var lease = PinLease<byte>.Acquire(buffer);
            write(fd, lease.Address, buffer.Length);
        }

        public static void DisposedAfterAThrowingCall(Stream source, byte[] buffer, PinBudget budget)
        {
            var lease = PinLease<byte>.Acquire(buffer, budget);
            source.Read(buffer, 0, buffer.Length);
            lease.Dispose();
        }

        public static void DisposedOnOnePath(Stream source, byte[] buffer, bool quick)
        {
            var lease = PinLease<byte>.Acquire(buffer);
            if (quick)
            {
                lease.Dispose();
                return;
            }

            source.Read(buffer, 0, buffer.Length);
        }

        public static async Task CopyAsync(Stream source, byte[] buffer)
        {
            var lease = PinLease<byte>.Acquire(buffer);
            await source.ReadAsync(buffer, 0, buffer.Length);
            lease.Dispose();
        }
    }
}
