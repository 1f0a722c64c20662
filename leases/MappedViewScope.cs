using System;
using System.Runtime.CompilerServices;

namespace PinAnalyzers.Leases;

/// <summary>
/// One in-flight use of a <see cref="MappedViewLease"/>'s view: while it is open the view's pointer is
/// not released. Same rules as <see cref="PinScope{T}"/> (closing twice, also through a copy, is safe).
/// </summary>
public ref struct MappedViewScope
{
    private readonly LeaseCore? _core;
    private readonly long _version;
    private ScopeTicket? _ticket;

    internal MappedViewScope(LeaseCore core, ScopeTicket ticket)
    {
        _core = core;
        _ticket = ticket;
        _version = ticket.Version;
    }

    /// <summary>The address of the view's first byte (offset by the view's <c>PointerOffset</c>).</summary>
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

    /// <summary>The length of the view in bytes (0 for a default scope).</summary>
    public readonly long Length => _core?.ByteLength ?? 0;

    /// <summary>The view as a span. Do not keep the span past the scope.</summary>
    /// <exception cref="ObjectDisposedException">The scope has been closed.</exception>
    /// <exception cref="InvalidOperationException">The view is longer than <see cref="int.MaxValue"/> bytes; use <see cref="Address"/>.</exception>
    public readonly unsafe Span<byte> Span
    {
        get
        {
            EnsureOpen();
            long length = _core!.ByteLength;
            if (length > int.MaxValue)
            {
                throw new InvalidOperationException(
                    $"The view is {length} bytes long, more than a span can hold ({int.MaxValue}); use Address and Length.");
            }

            return new Span<byte>((void*)_core.RawAddress, (int)length);
        }
    }

    /// <summary>Closes the scope; the last scope out of a disposed lease releases the view. Safe to call more than once.</summary>
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
        throw new ObjectDisposedException(nameof(MappedViewScope), "The scope has been disposed (or was never entered).");
}
