using System;
using System.IO;
using System.Runtime.InteropServices;

namespace PinDemo
{
    /// <summary>
    /// A socket-like byte channel over a pipe, with the buffer handling of a typical interop wrapper:
    /// each call pins the caller's array, passes its address to libc and should unpin it again.
    /// </summary>
    internal sealed class PipeSocket : IDisposable
    {
        private readonly int _readFd;
        private readonly int _writeFd;

        public PipeSocket()
        {
            int[] fds = new int[2];
            CheckResult(Native.pipe(fds), "pipe");
            _readFd = fds[0];
            _writeFd = fds[1];
        }

        /// <summary>The write end, for code that talks to the pipe with its own buffers.</summary>
        public int WriteFd => _writeFd;

        /// <summary>Bug: the handle is freed only when nothing throws.</summary>
        public void Send(byte[] payload)
        {
            GCHandle handle = GCHandle.Alloc(payload, GCHandleType.Pinned); // PIN1002: may leak if 'CheckResult' throws
            nint written = Native.write(_writeFd, handle.AddrOfPinnedObject(), payload.Length);
            CheckResult(written, "write");
            handle.Free();
        }

        /// <summary>Bug: the handle is never freed; every call leaks a pinned handle.</summary>
        public int Receive(byte[] buffer)
        {
            GCHandle handle = GCHandle.Alloc(buffer, GCHandleType.Pinned); // PIN1002: never freed
            nint read = Native.read(_readFd, handle.AddrOfPinnedObject(), buffer.Length);
            return (int)read;
        }

        /// <summary>Correct: freed in finally, whatever happens in between.</summary>
        public void SendAll(byte[] payload)
        {
            GCHandle handle = GCHandle.Alloc(payload, GCHandleType.Pinned);
            try
            {
                nint written = Native.write(_writeFd, handle.AddrOfPinnedObject(), payload.Length);
                CheckResult(written, "write");
            }
            finally
            {
                handle.Free();
            }
        }

        /// <summary>Correct: a PinnedGCHandle&lt;T&gt; disposed by using.</summary>
        public unsafe int ReceiveExactly(byte[] buffer)
        {
            using var pin = new PinnedGCHandle<byte[]>(buffer);
            byte* start = pin.GetAddressOfArrayData();
            int total = 0;
            while (total < buffer.Length)
            {
                nint read = Native.read(_readFd, (IntPtr)(start + total), buffer.Length - total);
                CheckResult(read, "read");
                if (read == 0)
                {
                    break;
                }

                total += (int)read;
            }

            return total;
        }

        /// <summary>
        /// Correct: nothing between the pin and the free can throw a managed exception (memset is a
        /// P/Invoke), so a plain Free at the end is enough.
        /// </summary>
        public static void Wipe(byte[] buffer)
        {
            GCHandle handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            Native.memset(handle.AddrOfPinnedObject(), 0, buffer.Length);
            handle.Free();
        }

        /// <summary>Correct: a fixed statement pins for exactly the span of the call.</summary>
        public unsafe void SendFixed(ReadOnlySpan<byte> payload)
        {
            fixed (byte* p = payload)
            {
                CheckResult(Native.write(_writeFd, p, payload.Length), "write");
            }
        }

        public void Dispose()
        {
            Native.close(_readFd);
            Native.close(_writeFd);
        }

        private static void CheckResult(nint result, string call)
        {
            if (result < 0)
            {
                throw new IOException($"{call} failed with errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }
}
