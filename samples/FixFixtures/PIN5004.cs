using System;
using System.IO.MemoryMappedFiles;
using PinAnalyzers.Leases;

namespace FixFixtures.PIN5004
{
    sealed class Receiver : IDisposable
    {
        private readonly PinLease<byte> _buffer;

        public Receiver(byte[] buffer, PinBudget budget) => _buffer = PinLease<byte>.Acquire(buffer, budget);

        public IntPtr Address => _buffer.Address;

        public void Dispose() => _buffer.Dispose();
    }

    sealed class Ring : IDisposable
    {
        private PinLease<long> _slots;

        public Ring()
        {
            // Small until started.
            _slots = PinLease<long>.Allocate(16);
        }

        public void Start(int length)
        {
            if (length > 0)
            {
                _slots.Dispose();
                _slots = PinLease<long>.Allocate(length);
            }
        }

        public void Dispose() => _slots.Dispose();
    }

    sealed class Log : IDisposable
    {
        private readonly MappedViewLease _view;

        public Log(MemoryMappedViewAccessor accessor)
        {
            _view = MappedViewLease.Acquire(accessor);
        }

        public void Dispose() => _view.Dispose();
    }
}
