using System.Buffers;
using System.Runtime.InteropServices;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary>
/// Memory whose <see cref="Pin"/> waits until the test lets it go on (or fails), so that a lease can be
/// held in the middle of its acquisition: charged and registered with its budget, but not yet pinned.
/// Counts pins and unpins so tests see that nothing stays pinned.
/// </summary>
internal sealed class GatedMemoryManager : MemoryManager<byte>
{
    private readonly byte[] _array;
    private GCHandle _handle;
    private int _pins;
    private int _unpins;

    public GatedMemoryManager(int length) => _array = new byte[length];

    /// <summary>Set when <see cref="Pin"/> has been entered.</summary>
    public ManualResetEventSlim PinEntered { get; } = new();

    /// <summary>Set by the test to let <see cref="Pin"/> finish.</summary>
    public ManualResetEventSlim AllowPin { get; } = new();

    /// <summary>When set, <see cref="Pin"/> throws this instead of pinning.</summary>
    public Exception? PinFailure { get; set; }

    public int Pins => Volatile.Read(ref _pins);

    public int Unpins => Volatile.Read(ref _unpins);

    public override Span<byte> GetSpan() => _array;

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        PinEntered.Set();
        if (!AllowPin.Wait(Generous))
        {
            throw new TimeoutException("the test never let the pin go on");
        }

        if (PinFailure is not null)
        {
            throw PinFailure;
        }

        Interlocked.Increment(ref _pins);
        _handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
        return new MemoryHandle((byte*)_handle.AddrOfPinnedObject() + elementIndex, pinnable: this);
    }

    public override void Unpin()
    {
        Interlocked.Increment(ref _unpins);
        _handle.Free();
    }

    protected override void Dispose(bool disposing)
    {
        PinEntered.Dispose();
        AllowPin.Dispose();
    }
}
