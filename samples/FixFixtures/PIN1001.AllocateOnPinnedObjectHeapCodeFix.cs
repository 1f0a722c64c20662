using System;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN1001.AllocateOnPinnedObjectHeap
{
    sealed class Ring : IDisposable
    {
        private readonly byte[] _buffer;
        private GCHandle _handle;
        private IntPtr _address;

        public Ring(int size)
        {
            _buffer = new byte[size];
            _handle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);
            _address = _handle.AddrOfPinnedObject();
        }

        public IntPtr Address => _address;

        public void Dispose() { if (_handle.IsAllocated) _handle.Free(); }
    }
}
