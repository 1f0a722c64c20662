using System;
using System.IO;
using System.IO.MemoryMappedFiles;

namespace PinDemo
{
    /// <summary>
    /// An append-only log on persistent memory: the file lives on a DAX mount, is mapped once, and its pages are
    /// written with plain stores. <see cref="RegisterForRdma"/> exposes the whole log to a NIC so that a replica can
    /// read it remotely — which is the bug: on fs-DAX the mapped pages are the file's blocks, and a long-term RDMA
    /// registration of them is refused by the kernel (or blocks truncate for as long as it lives). PIN4001 says so.
    /// </summary>
    internal sealed unsafe class PmemLog : IDisposable
    {
        /// <summary>The log's home on the persistent-memory mount. Nothing is created when the mount is absent.</summary>
        internal const string LogPath = "/mnt/pmem0/pindemo/log";

        private const long Capacity = 1 << 20;

        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private byte* _base;
        private long _length;

        private PmemLog()
        {
            _file = MemoryMappedFile.CreateFromFile(LogPath, FileMode.OpenOrCreate, null, Capacity);
            _view = _file.CreateViewAccessor();
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        }

        /// <summary>Opens the log when the persistent-memory mount exists, else returns null.</summary>
        internal static PmemLog? TryOpen()
            => Directory.Exists(Path.GetDirectoryName(LogPath)) ? new PmemLog() : null;

        internal long Length => _length;

        internal void Append(ReadOnlySpan<byte> record)
        {
            if (_length + record.Length > Capacity)
            {
                throw new InvalidOperationException("the log is full");
            }

            record.CopyTo(new Span<byte>(_base + _length, record.Length));
            _length += record.Length;
        }

        /// <summary>Registers the log for remote reads. The demo never calls it: it needs an RDMA protection domain.</summary>
        internal IntPtr RegisterForRdma(IntPtr protectionDomain)
            => Native.ibv_reg_mr(protectionDomain, _base, (nuint)Capacity, Native.IBV_ACCESS_LOCAL_WRITE | Native.IBV_ACCESS_REMOTE_READ);

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
