using System.Runtime.CompilerServices;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class PinBudgetTests
{
    [Fact]
    public void Constructor_RejectsNegativeLimitsAndNullName()
    {
        Assert.Throws<ArgumentOutOfRangeException>("maxBytes", () => new PinBudget(-1));
        Assert.Throws<ArgumentOutOfRangeException>("maxLeases", () => new PinBudget(10, -1));
        Assert.Throws<ArgumentNullException>("name", () => new PinBudget(null!, 10));

        var budget = new PinBudget("b", 100, 3);
        Assert.Equal(("b", 100L, 3, 0L, 0), (budget.Name, budget.MaxBytes, budget.MaxLeases, budget.PinnedBytes, budget.ActiveLeases));
        Assert.Equal(int.MaxValue, new PinBudget(5).MaxLeases);
    }

    [Fact]
    public void Acquire_ChargesByteLengthOfElements_AndDisposeRefundsExactlyOnce()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<int>.Acquire(new int[10], budget);
        var other = PinLease<long>.Acquire(new long[3], budget);

        Assert.Equal(40, lease.ByteLength);
        Assert.Equal(64, budget.PinnedBytes);
        Assert.Equal(2, budget.ActiveLeases);
        Assert.Same(budget, lease.Budget);

        lease.Dispose();
        lease.Dispose();
        Assert.Equal(24, budget.PinnedBytes);
        Assert.Equal(1, budget.ActiveLeases);

        other.Dispose();
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public void Acquire_OverByteLimit_ThrowsWithTheNumbers_AndLeavesBudgetUnchanged()
    {
        PinBudget budget = NewBudget(maxBytes: 100);
        using var held = PinLease<byte>.Acquire(new byte[60], budget);

        var ex = Assert.Throws<PinBudgetExceededException>(() => PinLease<byte>.Acquire(new byte[41], budget));

        Assert.IsAssignableFrom<InvalidOperationException>(ex);
        Assert.Equal((41L, 60L, 100L, 1, budget.Name), (ex.RequestedBytes, ex.PinnedBytes, ex.MaxBytes, ex.ActiveLeases, ex.BudgetName));
        Assert.Contains("41 bytes", ex.Message);
        Assert.Contains("60 of 100 bytes", ex.Message);
        Assert.Contains("40 available", ex.Message);
        Assert.Equal(60, budget.PinnedBytes);
        Assert.Equal(1, budget.ActiveLeases);

        using var fits = PinLease<byte>.Acquire(new byte[40], budget);
        Assert.Equal(100, budget.PinnedBytes);
    }

    [Fact]
    public void Acquire_OverBudget_LeavesNoPinBehind()
    {
        PinBudget budget = NewBudget(maxBytes: 10);
        WeakReference array = AcquireOverBudgetAndDropArray(budget);

        CompactingCollect();

        // A pinned GCHandle is a strong root: had the failed acquire left one behind, the array would live.
        Assert.False(array.IsAlive);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AcquireOverBudgetAndDropArray(PinBudget budget)
    {
        var array = new byte[11];
        Assert.Throws<PinBudgetExceededException>(() => PinLease<byte>.Acquire(array, budget));
        Assert.Throws<PinBudgetExceededException>(() => PinLease<byte>.Acquire(array.AsMemory(), budget));
        return new WeakReference(array);
    }

    [Fact]
    public void LeaseCountLimit_RefusesTheNextLease_UntilOneIsReleased()
    {
        PinBudget budget = NewBudget(maxLeases: 2);
        var first = PinLease<byte>.Acquire(new byte[1], budget);
        using var second = PinLease<byte>.Acquire(new byte[1], budget);

        var ex = Assert.Throws<PinBudgetExceededException>(() => PinLease<byte>.Acquire(new byte[1], budget));
        Assert.Contains("2 of 2 leases", ex.Message);
        Assert.Equal((2, 2), (ex.ActiveLeases, ex.MaxLeases));
        Assert.False(PinLease<byte>.TryAcquire(new byte[1], budget, out _));
        Assert.Equal(2, budget.ActiveLeases);

        first.Dispose();
        using var third = PinLease<byte>.Acquire(new byte[1], budget);
        Assert.Equal(2, budget.ActiveLeases);
        Assert.Equal(2, budget.PinnedBytes);
    }

    [Fact]
    public void TryAcquire_ReturnsFalseAndNullOverBudget_TrueWithin()
    {
        PinBudget budget = NewBudget(maxBytes: 16);

        Assert.False(PinLease<int>.TryAcquire(new int[5], budget, out PinLease<int>? refused));
        Assert.Null(refused);
        Assert.False(PinLease<int>.TryAcquire(new int[5].AsMemory(), budget, out refused));
        Assert.Null(refused);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);

        Assert.True(PinLease<int>.TryAcquire(new int[4], budget, out PinLease<int>? lease));
        Assert.Equal(16, budget.PinnedBytes);
        lease.Dispose();
        Assert.Equal(0, budget.PinnedBytes);

        Assert.Throws<ArgumentNullException>("array", () => PinLease<int>.TryAcquire(null!, budget, out _));
    }

    [Fact]
    public void Allocate_OverBudget_ThrowsAndChargesNothing()
    {
        PinBudget budget = NewBudget(maxBytes: 1000);
        Assert.Throws<PinBudgetExceededException>(() => PinLease<double>.Allocate(126, budget));
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);

        using var lease = PinLease<double>.Allocate(125, budget);
        Assert.Equal(1000, budget.PinnedBytes);
    }

    [Fact]
    public async Task ConcurrentAcquireAndRelease_NeverExceedTheLimits_AndEndAtZero()
    {
        // Four workers, three lease slots, and fewer bytes than the three smallest arrays: both limits bind.
        const int MaxLeases = 3;
        const long MaxBytes = 150;
        PinBudget budget = NewBudget(MaxBytes, MaxLeases);
        int overLimit = 0, granted = 0, refused = 0;

        Task[] workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var array = new byte[48 + (w * 8)];
            for (int i = 0; i < 5000; i++)
            {
                if (PinLease<byte>.TryAcquire(array, budget, out PinLease<byte>? lease))
                {
                    Interlocked.Increment(ref granted);
                    if (budget.PinnedBytes > MaxBytes || budget.ActiveLeases > MaxLeases)
                    {
                        Interlocked.Increment(ref overLimit);
                    }

                    lease.Dispose();
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(Generous);

        Assert.Equal(0, overLimit);
        Assert.Equal(20000, granted + refused);
        Assert.True(granted > 0);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }
}
