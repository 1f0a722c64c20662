using System;
using System.Runtime.InteropServices;

namespace PinDemo
{
    /// <summary>
    /// A ring of 16-bit audio samples that a native mixer reads from. The samples are an ordinary array,
    /// pinned for the life of the object: a long-lived pin in the middle of the GC heap.
    /// </summary>
    internal sealed class AudioRingBuffer : IDisposable
    {
        private readonly short[] _samples;
        private GCHandle _pin;
        private readonly IntPtr _base;
        private int _head;

        public AudioRingBuffer(int frames, int channels)
        {
            _samples = new short[frames * channels];
            _pin = GCHandle.Alloc(_samples, GCHandleType.Pinned); // PIN1001: kept in a field until Dispose
            _base = _pin.AddrOfPinnedObject();
        }

        public int Capacity => _samples.Length;

        public void Silence() => Native.memset(_base, 0, _samples.Length * sizeof(short));

        public void Write(ReadOnlySpan<short> samples)
        {
            foreach (short sample in samples)
            {
                _samples[_head] = sample;
                _head = (_head + 1) % _samples.Length;
            }
        }

        /// <summary>Hands <paramref name="count"/> samples to the device (here: a pipe).</summary>
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
