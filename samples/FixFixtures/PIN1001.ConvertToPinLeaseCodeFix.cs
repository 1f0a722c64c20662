using System;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN1001.ConvertToPinLease
{
    sealed class Receiver : IDisposable
    {
        private readonly byte[] _buffer;
        private GCHandle _handle;

        public Receiver(byte[] buffer)
        {
            _buffer = buffer;
            // Pinned for as long as the receiver lives.
            _handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        }

        public IntPtr Address => _handle.AddrOfPinnedObject();

        public int Length => _buffer.Length;

        public void Dispose()
        {
            if (_handle.IsAllocated)
            {
                _handle.Free();
            }
        }
    }
}
