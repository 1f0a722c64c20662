using System;
using System.Buffers;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN3001.ConvertToPinLease
{
    unsafe sealed class Receiver : IDisposable
    {
        private MemoryHandle _pin;

        public Receiver(Memory<byte> buffer)
        {
            // Pinned for as long as the receiver lives: the device fills it on every Flush.
            _pin = buffer.Pin();
        }

        public void Flush() => Native.Flush(_pin.Pointer);

        public void Dispose() => _pin.Dispose();
    }

    unsafe sealed class Pump : IDisposable
    {
        private MemoryHandle _slots;

        public void Start(Memory<int> slots) => _slots = slots.Pin();

        public void Post(int count) => Native.Post(_slots.Pointer, count);

        public void Dispose() => _slots.Dispose();
    }

    static unsafe class Native
    {
        [DllImport("native")] public static extern void Flush(void* buffer);

        [DllImport("native")] public static extern void Post(void* slots, int count);
    }
}
