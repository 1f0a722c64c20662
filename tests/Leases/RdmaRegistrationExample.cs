using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using PinAnalyzers.Leases;

namespace PinAnalyzers.Tests.Leases;

// The worked example of docs/leases.md, compiled and run by RdmaRegistrationExampleTests.
// Keep the two in step.

/// <summary>
/// An in-process stand-in for a NIC's memory registration API (ibv_reg_mr / ibv_dereg_mr): once a
/// region is registered, the "device" may write into it at any time, without any managed pin of its own.
/// </summary>
public sealed class FakeNic
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, (IntPtr Address, long Length)> _regions = new();
    private uint _nextKey;

    public uint RegisterMemory(IntPtr address, long length)
    {
        lock (_gate)
        {
            uint key = ++_nextKey;
            _regions.Add(key, (address, length));
            return key;
        }
    }

    /// <summary>After this returns the device no longer touches the region.</summary>
    public void DeregisterMemory(uint key)
    {
        lock (_gate)
        {
            if (!_regions.Remove(key))
            {
                throw new InvalidOperationException($"Memory region {key} is not registered.");
            }
        }
    }

    public bool IsRegistered(uint key)
    {
        lock (_gate)
        {
            return _regions.ContainsKey(key);
        }
    }

    /// <summary>A remote peer's RDMA write arriving in a registered region.</summary>
    public void DmaWrite(uint key, long offset, byte[] data)
    {
        lock (_gate)
        {
            if (!_regions.TryGetValue(key, out var region))
            {
                throw new InvalidOperationException($"Remote access error: memory region {key} is not registered.");
            }

            if (offset < 0 || offset + data.Length > region.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(offset));
            }

            Marshal.Copy(data, 0, (IntPtr)((long)region.Address + offset), data.Length);
        }
    }
}

/// <summary>
/// The holder: keeps a leased buffer registered with the NIC until it is disposed, or until the owner
/// revokes the lease, whichever comes first.
/// </summary>
public sealed class NicRegistration : IDisposable
{
    private readonly FakeNic _nic;
    private readonly IDisposable _lease;
    private readonly CancellationTokenRegistration _onRevoke;
    private int _disposed;

    public NicRegistration(FakeNic nic, MappedViewLease lease)
        : this(nic, lease, lease.Address, lease.Length, lease.RevocationRequested)
    {
    }

    public NicRegistration(FakeNic nic, PinLease<byte> lease)
        : this(nic, lease, lease.Address, lease.ByteLength, lease.RevocationRequested)
    {
    }

    private NicRegistration(FakeNic nic, IDisposable lease, IntPtr address, long length, CancellationToken revocationRequested)
    {
        _nic = nic;
        _lease = lease;
        // Address throws PinRevokedException if the owner already wants the memory back.
        Key = nic.RegisterMemory(address, length);
        // When the owner asks for the memory back: stop the device first, then let go of the lease.
        _onRevoke = revocationRequested.Register(Dispose);
    }

    /// <summary>The remote key a peer uses to write into the buffer.</summary>
    public uint Key { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _nic.DeregisterMemory(Key); // the device is done with the memory...
        _lease.Dispose();           // ...so it may be unpinned (once in-flight scopes exit)
        _onRevoke.Dispose();        // safe inside the callback itself: it does not wait for itself
    }
}

/// <summary>
/// The owner of a file on a DAX file system: the mapped pages are the file, so it must get every
/// long-term pin back before it truncates.
/// </summary>
public sealed class DaxFileOwner : IDisposable
{
    private readonly string _path;
    private readonly PinBudget _budget;
    private MemoryMappedFile? _file;
    private MemoryMappedViewAccessor? _view;
    private MappedViewLease? _lease;

    public DaxFileOwner(string path, long length, PinBudget budget)
    {
        _path = path;
        _budget = budget;
        using (var stream = new FileStream(path, FileMode.Create))
        {
            stream.SetLength(length);
        }

        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, length);
    }

    /// <summary>Lends the mapping to a holder (for example a <see cref="NicRegistration"/>).</summary>
    public MappedViewLease Lend()
    {
        if (_view is null || _lease is not null)
        {
            throw new InvalidOperationException("The file is already lent or truncated.");
        }

        return _lease = MappedViewLease.Acquire(_view, _budget);
    }

    /// <summary>Truncates the file only if every holder let go of its pages within the grace period.</summary>
    public async Task<bool> TryTruncateAsync(long newLength, TimeSpan grace)
    {
        if (_lease is not null)
        {
            if (!await _lease.RevokeAsync(grace))
            {
                return false; // a holder may still DMA into these pages: truncating now would corrupt data
            }

            _lease = null;
        }

        _view?.Dispose();
        _file?.Dispose();
        (_view, _file) = (null, null);
        using (var stream = new FileStream(_path, FileMode.Open))
        {
            stream.SetLength(newLength);
        }

        return true;
    }

    public void Dispose()
    {
        _view?.Dispose();
        _file?.Dispose();
    }
}
