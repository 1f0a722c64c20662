using System;
using System.Buffers;

namespace FixFixtures.PIN3001.UsePinnedMemory
{
    sealed class Receiver : IDisposable
    {
        private Memory<byte> _memory = new byte[4096];
        private MemoryHandle _pin;

        // The memory stays pinned from Start to Dispose.
        public void Start() => _pin = _memory.Pin();

        public void Dispose() => _pin.Dispose();
    }

    sealed class Duplex : IDisposable
    {
        private byte[] _send;
        private MemoryHandle _sendPin;

        public Duplex(int size)
        {
            _send = new byte[size];
            _sendPin = _send.AsMemory().Pin();
        }

        public int Length => _send.Length;

        public void Dispose() => _sendPin.Dispose();
    }
}
