using System.Runtime.InteropServices;

namespace FixFixtures.PIN1005
{
    static class Native
    {
        public static void Fill(byte[] buffer)
        {
            var handle = GCHandle.Alloc(buffer, GCHandleType.Normal);
            try
            {
                Marshal.WriteByte(handle.AddrOfPinnedObject(), 0, 1);
            }
            finally
            {
                handle.Free();
            }
        }
    }
}
