using System;
using System.Runtime.CompilerServices;

namespace PinAnalyzers.Leases;

/// <summary>
/// One in-flight use of a <see cref="PinLease{T}"/>'s memory: while it is open the memory cannot be
/// unpinned. Open it with <see cref="PinLease{T}.Enter"/>, close it with <see cref="Dispose"/>
/// (normally through <c>using</c>).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// <para>Opening and closing take no lock and allocate nothing (after the thread's first scope).</para>
/// <para>Closing twice is safe, also through a copy: C# copies ref structs on assignment, so
/// <c>var b = a; a.Dispose(); b.Dispose();</c> is the same scope closed twice. Every scope carries a
/// ticket that the first close retires; later closes of any copy do nothing, and a closed copy's
/// <see cref="Address"/> and <see cref="Span"/> throw <see cref="ObjectDisposedException"/>.
/// A <c>default</c> scope is closed.</para>
/// </remarks>
public ref struct PinScope<T>
    where T : unmanaged
{
    private readonly LeaseCore? _core;
    private readonly long _version;
    private readonly int _length;
    private ScopeTicket? _ticket;

    internal PinScope(LeaseCore core, ScopeTicket ticket, int length)
    {
        _core = core;
        _ticket = ticket;
        _version = ticket.Version;
        _length = length;
    }

    /// <summary>The address of the first element.</summary>
    /// <exception cref="ObjectDisposedException">The scope has been closed.</exception>
    public readonly IntPtr Address
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureOpen();
            return _core!.RawAddress;
        }
    }

    /// <summary>The number of elements.</summary>
    public readonly int Length => _length;

    /// <summary>The pinned memory. Do not keep the span past the scope.</summary>
    /// <exception cref="ObjectDisposedException">The scope has been closed.</exception>
    public readonly unsafe Span<T> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureOpen();
            return new Span<T>((void*)_core!.RawAddress, _length);
        }
    }

    /// <summary>Closes the scope; the last scope out of a disposed lease unpins it. Safe to call more than once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Dispose()
    {
        ScopeTicket? ticket = _ticket;
        if (ticket is null)
        {
            return;
        }

        _ticket = null;
        if (ScopeTicket.TryClose(ticket, _version))
        {
            _core!.ExitScope();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void EnsureOpen()
    {
        if (!ScopeTicket.IsOpen(_ticket, _version))
        {
            ThrowClosed();
        }
    }

    private static void ThrowClosed() =>
        throw new ObjectDisposedException(nameof(PinScope<T>), "The scope has been disposed (or was never entered).");
}
