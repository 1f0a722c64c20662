using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class PinLeaseTests
{
    [Fact]
    public void Acquire_Array_PinsIt_TheAddressSurvivesCompactingCollections()
    {
        PinBudget budget = NewBudget();
        var array = new int[256];
        using var lease = PinLease<int>.Acquire(array, budget);

        IntPtr address = lease.Address;
        Assert.Equal(AddressOf(array), address);
        for (int i = 0; i < 3; i++)
        {
            _ = new byte[4096]; // churn so that a movable array would be moved
            CompactingCollect();
            Assert.Equal(address, AddressOf(array));
        }

        Assert.Same(array, lease.Array);
        Assert.Equal(256, lease.Length);
        Assert.Equal(1024, lease.ByteLength);
        Assert.True(lease.IsPinned);
        Assert.False(lease.IsRevoked);
    }

    [Fact]
    public void Dispose_ReleasesTheGCHandle()
    {
        PinBudget budget = NewBudget();
        WeakReference array = AcquireDisposeAndDropArray(budget);

        CompactingCollect();

        Assert.False(array.IsAlive);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AcquireDisposeAndDropArray(PinBudget budget)
    {
        var array = new byte[100];
        var lease = PinLease<byte>.Acquire(array, budget);
        lease.Dispose();
        Assert.False(lease.IsPinned);
        return new WeakReference(array);
    }

    [Fact]
    public void LeakedLease_IsNeverUnpinnedBehindTheHoldersBack()
    {
        // No finalizer: a lease nobody references may still have its address registered with native code.
        PinBudget budget = NewBudget();
        WeakReference array = AcquireAndLeak(budget);

        CompactingCollect();

        Assert.True(array.IsAlive);
        Assert.Equal(1, budget.ActiveLeases);
        Assert.Equal(64, budget.PinnedBytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AcquireAndLeak(PinBudget budget)
    {
        var array = new byte[64];
        _ = PinLease<byte>.Acquire(array, budget);
        return new WeakReference(array);
    }

    [Fact]
    public void Acquire_MemorySlice_AddressIsTheSliceStart_AndScopesWriteThrough()
    {
        PinBudget budget = NewBudget();
        var array = new short[50];
        using var lease = PinLease<short>.Acquire(array.AsMemory(10, 20), budget);

        Assert.Null(lease.Array);
        Assert.Equal(20, lease.Length);
        Assert.Equal(40, lease.ByteLength);
        Assert.Equal(40, budget.PinnedBytes);
        Assert.Equal(Marshal.UnsafeAddrOfPinnedArrayElement(array, 10), lease.Address);

        using (PinScope<short> scope = lease.Enter())
        {
            Assert.Equal(20, scope.Length);
            scope.Span.Fill(7);
            Marshal.WriteInt16(scope.Address, 2 * 19, 99);
        }

        Assert.Equal(0, array[9]);
        Assert.All(array[10..29], v => Assert.Equal(7, v));
        Assert.Equal(99, array[29]);
        Assert.Equal(0, array[30]);
    }

    [Fact]
    public void Allocate_GivesAZeroedArrayThatNeverMoves_AndChargesIt()
    {
        PinBudget budget = NewBudget();
        using var lease = PinLease<long>.Allocate(1000, budget);

        long[] array = Assert.IsType<long[]>(lease.Array);
        Assert.Equal(1000, array.Length);
        Assert.All(array, v => Assert.Equal(0, v));
        Assert.Equal(8000, budget.PinnedBytes);
        IntPtr address = lease.Address;
        Assert.Equal(AddressOf(array), address);

        CompactingCollect();

        Assert.Equal(address, AddressOf(array));
        using PinScope<long> scope = lease.Enter();
        scope.Span[999] = 42;
        Assert.Equal(42, array[999]);
    }

    [Fact]
    public void Allocate_UnpinRefundsTheBudget_AndTheArrayStaysUsable()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Allocate(16, budget);
        byte[] array = lease.Array!;

        lease.Dispose();

        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.PinnedBytes);
        array[15] = 1; // managed access through the array never depended on the lease
        Assert.Equal(1, array[15]);
    }

    [Fact]
    public void Misuse_ThrowsClearExceptions()
    {
        PinBudget budget = NewBudget();
        Assert.Throws<ArgumentNullException>("array", () => PinLease<int>.Acquire(null!, budget));
        Assert.Throws<ArgumentOutOfRangeException>("length", () => PinLease<int>.Allocate(-1, budget));
        Assert.Equal(0, budget.ActiveLeases);

        var lease = PinLease<int>.Acquire(new int[4], budget);
        Assert.Throws<ArgumentOutOfRangeException>("grace", () => { _ = lease.RevokeAsync(TimeSpan.FromMilliseconds(-2)); });
        Assert.Throws<ArgumentOutOfRangeException>("grace", () => { _ = lease.RevokeAsync(TimeSpan.FromDays(30)); });
        Assert.False(lease.RevocationRequested.IsCancellationRequested);

        lease.Dispose();
        var enter = Assert.Throws<ObjectDisposedException>(() => lease.Enter().Dispose());
        Assert.Contains("PinLease<Int32>", enter.Message);
        Assert.Throws<ObjectDisposedException>(() => lease.Address);
        Assert.False(lease.TryEnter(out PinScope<int> scope));
        AssertClosed(scope);
    }

    [Fact]
    public void EmptyArray_CanBeLeased()
    {
        PinBudget budget = NewBudget(maxBytes: 0);
        using var lease = PinLease<int>.Acquire(System.Array.Empty<int>(), budget);
        using PinScope<int> scope = lease.Enter();

        Assert.True(scope.Span.IsEmpty);
        Assert.Equal(1, budget.ActiveLeases);
        Assert.Equal(0, budget.PinnedBytes);
    }
}
