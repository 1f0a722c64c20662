using System;
using System.Runtime.CompilerServices;

namespace PinAnalyzers.Leases;

/// <summary>
/// The identity of one open scope, so that a scope closed twice (directly, or through a copy of the
/// ref struct) gives its count back only once.
/// </summary>
/// <remarks>
/// <para>A scope is a ref struct: C# copies it freely (<c>var b = a;</c>, passing by value), and every
/// copy has its own fields, so a flag inside the struct cannot tell copies apart. Each open scope
/// therefore holds a ticket and the ticket's <see cref="Version"/> at the time it was opened. Closing
/// bumps the version; a second close through any copy sees a different version and does nothing,
/// and a closed copy's <c>Address</c>/<c>Span</c> throw <see cref="ObjectDisposedException"/>.</para>
/// <para>Tickets are reused from a small per-thread free list, so opening and closing allocate
/// nothing once a thread has opened its first scope (one ticket per nesting level, at most
/// <see cref="MaxPooledPerThread"/> kept). A ref struct lives on the stack of the thread that created
/// it and cannot be captured, boxed or carried across an <c>await</c>, so a ticket is opened and
/// closed by the same thread and needs no interlocked operation of its own.</para>
/// </remarks>
internal sealed class ScopeTicket
{
    internal const int MaxPooledPerThread = 16;

    [ThreadStatic]
    private static ScopeTicket? t_free;

    private ScopeTicket? _next;
    private int _depth;

    /// <summary>Bumped each time the ticket is closed; a scope remembers the value it was opened with.</summary>
    internal long Version;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ScopeTicket Rent()
    {
        ScopeTicket? ticket = t_free;
        if (ticket is null)
        {
            return new ScopeTicket();
        }

        t_free = ticket._next;
        ticket._next = null;
        return ticket;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Return(ScopeTicket ticket)
    {
        ScopeTicket? head = t_free;
        int depth = head is null ? 1 : head._depth + 1;
        if (depth <= MaxPooledPerThread)
        {
            ticket._depth = depth;
            ticket._next = head;
            t_free = ticket;
        }
    }

    /// <summary>
    /// Closes the scope opened at <paramref name="version"/>: true exactly once per opening, after
    /// which the ticket is back in the pool and the caller must give the scope count back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryClose(ScopeTicket ticket, long version)
    {
        if (ticket.Version != version)
        {
            return false;
        }

        ticket.Version = version + 1;
        Return(ticket);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsOpen(ScopeTicket? ticket, long version) => ticket is not null && ticket.Version == version;
}
