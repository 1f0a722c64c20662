using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PinAnalyzers.Leases;

namespace PinAnalyzers.Tests.Leases;

internal static class LeaseTestHelpers
{
    /// <summary>Upper bound for waits that normally finish in microseconds; never a sleep.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    /// <summary>A unique budget so that tests running in parallel never share counters.</summary>
    public static PinBudget NewBudget(long maxBytes = long.MaxValue, int maxLeases = int.MaxValue, [CallerMemberName] string name = "")
        => new(name + "-" + Guid.NewGuid().ToString("N"), maxBytes, maxLeases);

    /// <summary>A full, compacting collection: anything not pinned may move, anything unreachable dies.</summary>
    public static void CompactingCollect()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>The address of element 0 right now (meaningful only while the array cannot move).</summary>
    public static IntPtr AddressOf<T>(T[] array) where T : unmanaged
        => Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);

    /// <summary>Waits for <paramref name="task"/> at most <see cref="Generous"/>; fails the test instead of hanging.</summary>
    public static async Task<T> Within<T>(this Task<T> task)
    {
        Task first = await Task.WhenAny(task, Task.Delay(Generous));
        Xunit.Assert.True(first == task, "the operation did not finish within " + Generous);
        return await task;
    }

    /// <summary>Asserts that <paramref name="task"/> is still running after everything ready to run has run.</summary>
    public static async Task AssertPending(Task task)
    {
        // The revocation wait completes only on an event from the tests (scope exit / Dispose), never on
        // its own, so yielding a few times is a check, not a timing assumption.
        for (int i = 0; i < 5; i++)
        {
            await Task.Yield();
        }

        Xunit.Assert.False(task.IsCompleted, "the revocation finished while the memory was still in use");
    }

    /// <summary>Asserts that the scope (or the copy of it passed here) is closed: Address and Span throw.</summary>
    public static void AssertClosed<T>(PinScope<T> scope) where T : unmanaged
    {
        ObjectDisposedException? address = null, span = null;
        try
        {
            _ = scope.Address;
        }
        catch (ObjectDisposedException e)
        {
            address = e;
        }

        try
        {
            _ = scope.Span.Length;
        }
        catch (ObjectDisposedException e)
        {
            span = e;
        }

        Xunit.Assert.NotNull(address);
        Xunit.Assert.NotNull(span);
    }

    /// <summary>Asserts that the scope (or the copy of it passed here) is closed: Address and Span throw.</summary>
    public static void AssertClosed(MappedViewScope scope)
    {
        ObjectDisposedException? address = null, span = null;
        try
        {
            _ = scope.Address;
        }
        catch (ObjectDisposedException e)
        {
            address = e;
        }

        try
        {
            _ = scope.Span.Length;
        }
        catch (ObjectDisposedException e)
        {
            span = e;
        }

        Xunit.Assert.NotNull(address);
        Xunit.Assert.NotNull(span);
    }
}
