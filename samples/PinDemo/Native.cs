using System;
using System.Runtime.InteropServices;

namespace PinDemo
{
    /// <summary>
    /// The few libc calls the demo needs. Every one of them is harmless: a pipe that this process owns. The RDMA
    /// registration is declared for <see cref="PmemLog"/> and never called when the demo runs.
    /// </summary>
    internal static class Native
    {
        [DllImport("libc", SetLastError = true)]
        internal static extern int pipe(int[] fds);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern nint read(int fd, IntPtr buffer, nint count);

        [DllImport("libc", SetLastError = true)]
        internal static extern unsafe nint write(int fd, void* buffer, nint count);

        [DllImport("libc", EntryPoint = "write", SetLastError = true)]
        internal static extern nint write(int fd, IntPtr buffer, nint count);

        [DllImport("libc")]
        internal static extern IntPtr memset(IntPtr destination, int value, nint count);

        internal const int IBV_ACCESS_LOCAL_WRITE = 1;
        internal const int IBV_ACCESS_REMOTE_READ = 4;

        /// <summary>libibverbs: registers memory with an RDMA NIC, pinning its pages until <c>ibv_dereg_mr</c>. Never called by the demo's run.</summary>
        [DllImport("ibverbs", SetLastError = true)]
        internal static extern unsafe IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
    }
}
