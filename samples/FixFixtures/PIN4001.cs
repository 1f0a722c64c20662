using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN4001
{
    static unsafe class Verbs
    {
        [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
    }

    sealed unsafe class PmemLog : IDisposable
    {
        private const long Capacity = 1 << 20;

        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private byte* _base;
        private long _length;

        public PmemLog()
        {
            _file = MemoryMappedFile.CreateFromFile("/mnt/pmem0/log", FileMode.OpenOrCreate, null, Capacity);
            _view = _file.CreateViewAccessor();
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        }

        public void Append(ReadOnlySpan<byte> record)
        {
            record.CopyTo(new Span<byte>(_base + _length, record.Length));
            _length += record.Length;
        }

        public IntPtr RegisterForRdma(IntPtr pd) => Verbs.ibv_reg_mr(pd, _base, (nuint)Capacity, 1);

        public IntPtr RegisterTailForRdma(IntPtr pd) => Verbs.ibv_reg_mr(pd, _base + _length, (nuint)(Capacity - _length), 1);

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
