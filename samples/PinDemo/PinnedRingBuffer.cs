using System;
using System.Runtime.InteropServices;

namespace PinDemo
{
    /// <summary>
    /// The same ring, done right for a buffer that native code holds for a long time: the array lives on
    /// the Pinned Object Heap, which the GC never compacts, so keeping its address costs nothing.
    /// </summary>
    internal sealed class PinnedRingBuffer : IDisposable
    {
        private readonly short[] _samples;
        private GCHandle _pin;
        private readonly IntPtr _base;

        public PinnedRingBuffer(int frames, int channels)
        {
            _samples = GC.AllocateArray<short>(frames * channels, pinned: true);
            _pin = GCHandle.Alloc(_samples, GCHandleType.Pinned); // silent: the target never moves
            _base = _pin.AddrOfPinnedObject();
        }

        public int Capacity => _samples.Length;

        public void Silence() => Native.memset(_base, 0, _samples.Length * sizeof(short));

        public nint DrainTo(int fd, int count) => Native.write(fd, _base, count * sizeof(short));

        public void Dispose()
        {
            if (_pin.IsAllocated)
            {
                _pin.Free();
            }
        }
    }
}
