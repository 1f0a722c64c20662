using System;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN1004
{
    struct Header
    {
        public int Length;
        public int Flags;
    }

    static class Native
    {
        [DllImport("libc")] private static extern int fill(IntPtr header);

        public static Header Local()
        {
            var header = new Header();
            var handle = GCHandle.Alloc(header, GCHandleType.Pinned);
            try
            {
                fill(handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }

            return header;
        }

        public static void Parameter(long value)
        {
            var handle = GCHandle.Alloc(value, GCHandleType.Pinned);
            fill(handle.AddrOfPinnedObject());
            handle.Free();
        }
    }

    sealed class Device
    {
        [DllImport("libc")] private static extern int query(IntPtr stats);

        private Header _stats;

        public int Refresh()
        {
            var handle = GCHandle.Alloc(_stats, GCHandleType.Pinned);
            try
            {
                query(handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }

            return _stats.Length;
        }
    }
}
