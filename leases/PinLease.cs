using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace PinAnalyzers.Leases;

/// <summary>
/// A revocable, budgeted pin of an array, a <see cref="Memory{T}"/>, or an array on the Pinned Object
/// Heap. The holder uses the memory inside scopes (<see cref="Enter"/>) or hands <see cref="Address"/>
/// to native code and listens on <see cref="RevocationRequested"/>; the owner gets the pin back with
/// <see cref="RevokeAsync"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// <para>The memory stays pinned until the holder has called <see cref="Dispose"/> and every scope has
/// exited, whichever comes last; then it is unpinned and the budget refunded, exactly once.
/// Revocation never unpins by itself.</para>
/// <para>There is no finalizer: a lease that is dropped without <see cref="Dispose"/> stays pinned and
/// charged, because native code may still hold its address.</para>
/// </remarks>
public sealed class PinLease<T> : IDisposable
    where T : unmanaged
{
    private static readonly string s_leaseName = "PinLease<" + typeof(T).Name + ">";

    private readonly LeaseCore _core;

    private PinLease(LeaseCore core, int length, T[]? array)
    {
        _core = core;
        Length = length;
        Array = array;
    }

    /// <summary>The number of elements pinned.</summary>
    public int Length { get; }

    /// <summary>The number of bytes pinned (and charged to the budget).</summary>
    public long ByteLength => _core.ByteLength;

    /// <summary>
    /// The pinned array for leases made by <see cref="Allocate"/> or <see cref="Acquire(T[], PinBudget?)"/>;
    /// null for a <see cref="Memory{T}"/> lease. Managed access through it is always safe.
    /// </summary>
    public T[]? Array { get; }

    /// <summary>The budget this lease is charged to.</summary>
    public PinBudget Budget => _core.Budget;

    /// <summary>
    /// The address of the first element, valid while the lease is pinned. For registering with native
    /// code; managed use should go through <see cref="Enter"/>.
    /// </summary>
    /// <exception cref="PinRevokedException">The owner has asked for the pin back (also after the holder disposed in response).</exception>
    /// <exception cref="ObjectDisposedException">The holder has disposed the lease without any revocation.</exception>
    public IntPtr Address => _core.GetAddress();

    /// <summary>Cancelled when the owner calls <see cref="RevokeAsync"/> (or <see cref="PinBudget.RevokeAllAsync"/> on its budget): stop using the memory and dispose the lease.</summary>
    public CancellationToken RevocationRequested => _core.RevocationRequested;

    /// <summary>True once the lease was revoked and the memory unpinned.</summary>
    public bool IsRevoked => _core.IsRevoked;

    /// <summary>True until the memory has been unpinned (after disposal and the last scope's exit).</summary>
    public bool IsPinned => _core.IsPinned;

    /// <summary>Pins <paramref name="array"/> and charges its byte length to <paramref name="budget"/>.</summary>
    /// <param name="array">The array to pin.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <returns>The lease; dispose it to unpin.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is null.</exception>
    /// <exception cref="PinBudgetExceededException">The budget would be exceeded; nothing is pinned.</exception>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is pinned.</exception>
    public static PinLease<T> Acquire(T[] array, PinBudget? budget = null)
    {
        ThrowIfNull(array, nameof(array));
        budget ??= PinBudget.Shared;
        long bytes = ByteLengthOf(array.Length);
        budget.Charge(bytes, s_leaseName);
        return Create(new ArrayPinCore(array, budget, bytes, s_leaseName), array.Length, array);
    }

    /// <summary>Pins <paramref name="array"/> if <paramref name="budget"/> allows it.</summary>
    /// <param name="array">The array to pin.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <param name="lease">The lease, or null when the budget would be exceeded.</param>
    /// <returns>False, with nothing pinned, when the budget would be exceeded.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is null.</exception>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is pinned.</exception>
    public static bool TryAcquire(T[] array, PinBudget? budget, [NotNullWhen(true)] out PinLease<T>? lease)
    {
        ThrowIfNull(array, nameof(array));
        budget ??= PinBudget.Shared;
        long bytes = ByteLengthOf(array.Length);
        if (!budget.TryCharge(bytes, s_leaseName))
        {
            lease = null;
            return false;
        }

        lease = Create(new ArrayPinCore(array, budget, bytes, s_leaseName), array.Length, array);
        return true;
    }

    /// <summary>Pins <paramref name="memory"/> (with <see cref="Memory{T}.Pin"/>) and charges its byte length.</summary>
    /// <param name="memory">The memory to pin.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <returns>The lease; dispose it to unpin.</returns>
    /// <exception cref="PinBudgetExceededException">The budget would be exceeded; nothing is pinned.</exception>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is pinned.</exception>
    public static PinLease<T> Acquire(Memory<T> memory, PinBudget? budget = null)
    {
        budget ??= PinBudget.Shared;
        long bytes = ByteLengthOf(memory.Length);
        budget.Charge(bytes, s_leaseName);
        return Create(new MemoryPinCore<T>(memory, budget, bytes, s_leaseName), memory.Length, null);
    }

    /// <summary>Pins <paramref name="memory"/> if <paramref name="budget"/> allows it.</summary>
    /// <param name="memory">The memory to pin.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <param name="lease">The lease, or null when the budget would be exceeded.</param>
    /// <returns>False, with nothing pinned, when the budget would be exceeded.</returns>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is pinned.</exception>
    public static bool TryAcquire(Memory<T> memory, PinBudget? budget, [NotNullWhen(true)] out PinLease<T>? lease)
    {
        budget ??= PinBudget.Shared;
        long bytes = ByteLengthOf(memory.Length);
        if (!budget.TryCharge(bytes, s_leaseName))
        {
            lease = null;
            return false;
        }

        lease = Create(new MemoryPinCore<T>(memory, budget, bytes, s_leaseName), memory.Length, null);
        return true;
    }

    /// <summary>
    /// Allocates a zeroed array of <paramref name="length"/> elements that never moves (on the Pinned
    /// Object Heap where the runtime has one; elsewhere a new array pinned with a handle) and leases it.
    /// </summary>
    /// <param name="length">The number of elements.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <returns>The lease; <see cref="Array"/> is the allocated array.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="PinBudgetExceededException">The budget would be exceeded; nothing is allocated.</exception>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is pinned.</exception>
    public static PinLease<T> Allocate(int length, PinBudget? budget = null)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The length cannot be negative.");
        }

        budget ??= PinBudget.Shared;
        long bytes = ByteLengthOf(length);
        budget.Charge(bytes, s_leaseName);
        T[] array;
        LeaseCore core;
        try
        {
            if (PinnedArrays<T>.Supported)
            {
                array = PinnedArrays<T>.Allocate(length);
                core = new PinnedHeapCore<T>(array, budget, bytes, s_leaseName);
            }
            else
            {
                array = new T[length];
                core = new ArrayPinCore(array, budget, bytes, s_leaseName);
            }
        }
        catch
        {
            budget.Refund(bytes);
            throw;
        }

        return Create(core, length, array);
    }

    /// <summary>
    /// Opens a scope: the memory stays pinned at least until the scope is disposed. Allocation-free
    /// and lock-free. Dispose it exactly once (a <c>using</c> does); see <see cref="PinScope{T}"/>.
    /// </summary>
    /// <returns>The scope, with the address and a span over the memory.</returns>
    /// <exception cref="PinRevokedException">The owner has asked for the pin back (also after the holder disposed in response).</exception>
    /// <exception cref="ObjectDisposedException">The holder has disposed the lease without any revocation.</exception>
    public PinScope<T> Enter()
    {
        ScopeTicket ticket = _core.EnterScope();
        return new PinScope<T>(_core, ticket, Length);
    }

    /// <summary>Opens a scope unless the lease is revoked or disposed.</summary>
    /// <param name="scope">The open scope, or a default (closed) scope when this returns false.</param>
    /// <returns>False when the owner has asked for the pin back or the holder has disposed the lease.</returns>
    public bool TryEnter(out PinScope<T> scope)
    {
        ScopeTicket? ticket = _core.TryEnterScope();
        if (ticket is null)
        {
            scope = default;
            return false;
        }

        scope = new PinScope<T>(_core, ticket, Length);
        return true;
    }

    /// <summary>
    /// Asks for the pin back: cancels <see cref="RevocationRequested"/> (running the holder's callbacks on
    /// this thread), refuses new scopes and <see cref="Address"/>, then waits until every scope has exited
    /// and the holder has disposed the lease, unpins, refunds the budget and returns true.
    /// </summary>
    /// <param name="grace">How long to wait; <see cref="TimeSpan.Zero"/> only checks; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>; the lease stays pinned (and revoking).</param>
    /// <returns>
    /// True when the memory has been unpinned. False when the grace period ran out first: the memory stays
    /// pinned and charged, and is unpinned when the holder disposes the lease (and the last scope exits).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="grace"/> is negative (other than infinite) or too large.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the lease was unpinned (the task is cancelled).</exception>
    /// <remarks>Safe to call more than once, concurrently, and after <see cref="Dispose"/>.</remarks>
    public Task<bool> RevokeAsync(TimeSpan grace, CancellationToken cancellationToken = default) =>
        _core.RevokeAsync(grace, cancellationToken);

    /// <summary>
    /// The holder lets go: no new scopes; the memory is unpinned and the budget refunded now, or when
    /// the last open scope exits. Safe to call more than once.
    /// </summary>
    public void Dispose() => _core.Dispose();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{s_leaseName}[{Length} elements, {ByteLength} bytes, {(IsPinned ? "pinned" : "unpinned")}, {_core.ActiveScopes} scopes{(RevocationRequested.IsCancellationRequested ? ", revoking" : string.Empty)}]";

    private static PinLease<T> Create(LeaseCore core, int length, T[]? array)
    {
        // The budget is already charged. Everything that can fail runs before the pin is taken, so a
        // failure leaves nothing pinned; Pin() takes the pin last and refunds the charge itself if it throws.
        PinLease<T> lease;
        try
        {
            lease = new PinLease<T>(core, length, array);
        }
        catch
        {
            core.Budget.Refund(core.ByteLength);
            throw;
        }

        core.Pin();
        return lease;
    }

    private static unsafe long ByteLengthOf(int length) => (long)length * sizeof(T);

    private static void ThrowIfNull(object? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentNullException(name);
        }
    }
}
