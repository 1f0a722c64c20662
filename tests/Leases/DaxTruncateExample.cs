using System.IO.MemoryMappedFiles;
using PinAnalyzers.Leases;

namespace PinAnalyzers.Tests.Leases;

// The per-file budget example of docs/leases.md ("Truncating a file: one budget per file"), compiled
// and run by DaxTruncateExampleTests. The doc's blocks must stay copies of this code (a test checks).

/// <summary>
/// The owner of a log file on a DAX file system. It lends ranges of the file to holders (RDMA
/// registrations, io_uring fixed buffers) as leases charged to the file's own budget, so that one
/// call gets every one of them back before the file shrinks.
/// </summary>
public sealed class DaxLogFile : IDisposable
{
    private readonly string _path;
    private readonly object _gate = new();
    private MemoryMappedFile? _mapping; // null while a truncate runs, and after Dispose
    private long _length;
    private bool _disposed;

    public DaxLogFile(string path, long length, int maxLeases = 64)
    {
        _path = path;
        _length = length;
        // One budget per file: every lease over the file's pages, and nothing else.
        Leases = new PinBudget("dax:" + Path.GetFileName(path), long.MaxValue, maxLeases);
        using (var stream = new FileStream(path, FileMode.OpenOrCreate))
        {
            stream.SetLength(length);
        }

        _mapping = Map(path);
    }

    public PinBudget Leases { get; }

    public long Length
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    /// <summary>Lends bytes [offset, offset + length) of the file to a holder.</summary>
    public MappedViewLease Lend(long offset, long length)
    {
        lock (_gate)
        {
            if (_mapping is null)
            {
                throw new InvalidOperationException(_disposed ? "The file is closed." : "The file is being truncated.");
            }

            // The lease keeps the view mapped: the accessor is not needed once the pointer is acquired.
            using MemoryMappedViewAccessor view = _mapping.CreateViewAccessor(offset, length);
            return MappedViewLease.Acquire(view, Leases);
        }
    }

    /// <summary>Shrinks the file, but only once every lease over it has been given back.</summary>
    /// <returns>False when a holder did not let go within <paramref name="grace"/>: the file is untouched.</returns>
    public async Task<bool> TryTruncateAsync(long newLength, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(newLength); // the log keeps at least its header
        MemoryMappedFile mapping;
        long length;
        lock (_gate)
        {
            mapping = _mapping ?? throw new InvalidOperationException("The file is closed or already being truncated.");
            _mapping = null; // 1. no new views, so no new leases, until the truncate is over
            length = _length;
        }

        mapping.Dispose(); // the views already lent stay mapped: their leases hold them
        try
        {
            // 2. Every holder is asked for its pages back (acquisitions on the budget are refused meanwhile).
            if (!await Leases.RevokeAllAsync(grace, cancellationToken))
            {
                return false; // a holder may still DMA into these pages: truncating now would corrupt data
            }

            // 3. Nothing maps or pins the file any more.
            using (var stream = new FileStream(_path, FileMode.Open))
            {
                stream.SetLength(newLength);
            }

            length = newLength;
            return true;
        }
        finally
        {
            lock (_gate)
            {
                // 4. Lend again. Leases that did not let go keep the old pages mapped until they do.
                _length = length;
                if (!_disposed)
                {
                    _mapping = Map(_path);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _mapping?.Dispose();
            _mapping = null;
        }
    }

    private static MemoryMappedFile Map(string path) =>
        MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
}

public static class LogCompaction
{
    /// <summary>
    /// A log whose head and tail are registered with a NIC for RDMA writes by peers is compacted to
    /// its first half: both registrations are torn down before the file shrinks.
    /// </summary>
    public static async Task<bool> CompactAsync(string path, FakeNic nic)
    {
        using var log = new DaxLogFile(path, length: 1 << 20);
        var head = new NicRegistration(nic, log.Lend(0, 64 * 1024));
        var tail = new NicRegistration(nic, log.Lend(960 * 1024, 64 * 1024));
        nic.DmaWrite(head.Key, 0, "LOG1"u8.ToArray());  // a peer writes into the log
        nic.DmaWrite(tail.Key, 100, "TAIL"u8.ToArray());

        // True: the NIC deregistered both, every lease released its view, the file is 512 KiB.
        // False: a holder did not let go; the file is untouched and its pages stay mapped.
        return await log.TryTruncateAsync(512 * 1024, TimeSpan.FromSeconds(5));
    }
}
