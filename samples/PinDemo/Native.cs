using System;
using System.Runtime.InteropServices;

namespace PinDemo
{
    /// <summary>The few libc calls the demo needs. Every one of them is harmless: a pipe that this process owns.</summary>
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
    }
}
