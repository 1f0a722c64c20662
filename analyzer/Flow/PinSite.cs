using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>What kind of pin a site makes; it decides which members release or read it.</summary>
    internal enum PinKind
    {
        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c>: released by <c>Free()</c>.</summary>
        GCHandle,

        /// <summary><c>new PinnedGCHandle&lt;T&gt;(x)</c>: released by <c>Dispose()</c>.</summary>
        TypedHandle,

        /// <summary><c>Memory&lt;T&gt;.Pin()</c> and <c>IPinnable.Pin</c>: a <c>MemoryHandle</c>, released by <c>Dispose()</c>.</summary>
        MemoryHandle,

        /// <summary>A <c>fixed</c> statement's local: released when the statement ends, on every path.</summary>
        Fixed,

        /// <summary><c>PinLease&lt;T&gt;.Acquire/Allocate/TryAcquire</c>, <c>MappedViewLease.Acquire</c>: released by <c>Dispose()</c>.</summary>
        Lease,

        /// <summary><c>lease.Enter()</c> / <c>TryEnter</c>: an in-flight use, released by the scope's <c>Dispose()</c>.</summary>
        LeaseScope,

        /// <summary>
        /// <c>SafeMemoryMappedViewHandle.AcquirePointer(ref p)</c>: the view's address in <c>p</c>, released by
        /// <c>ReleasePointer()</c> on the same handle.
        /// </summary>
        ViewPointer,

        /// <summary>
        /// An address into a mapping that nothing in the method releases: <c>DangerousGetHandle()</c> of a view handle, a
        /// libpmem mapping (<c>pmem_map_file</c>), or a field that holds a mapped view's address. Only its escapes matter.
        /// </summary>
        MappedAddress,

        /// <summary>
        /// A pin made by a helper of the compilation (<see cref="PinSummaries"/>): <c>new Owner(…)</c>, a method or conversion
        /// that returns one; released by the owner's releasing member (<see cref="PinOwner"/>).
        /// </summary>
        Owner,
    }

    /// <summary>
    /// One pin made by the code: the operation that pins (reported on), its kind, and the pinned object.
    /// </summary>
    internal sealed class PinSite
    {
        internal PinSite(IOperation operation, PinKind kind, IOperation? target)
        {
            Operation = operation;
            Kind = kind;
            Target = target;
        }

        /// <summary>A pin made by a helper: <paramref name="helper"/> names it in messages.</summary>
        internal PinSite(IOperation operation, PinKind kind, PinOwner? owner, string helper)
            : this(operation, kind, null)
        {
            Owner = owner;
            Helper = helper;
        }

        /// <summary>For <see cref="PinKind.Owner"/>: the owner type's summary.</summary>
        internal PinOwner? Owner { get; }

        /// <summary>For a pin made by a helper of the compilation: its name ("PinnedBuffer", "PinAll"); else null.</summary>
        internal string? Helper { get; }

        private PinSite(IVariableDeclaratorOperation declarator, SyntaxNode fixedStatement)
            : this(declarator, PinKind.Fixed, declarator.Initializer?.Value)
        {
            FixedLocal = declarator.Symbol;
            FixedStatement = fixedStatement;
        }

        /// <summary>For <see cref="PinKind.Fixed"/>: the fixed local.</summary>
        internal ILocalSymbol? FixedLocal { get; }

        /// <summary>For <see cref="PinKind.Fixed"/>: the <c>fixed</c> statement, whose extent is the pin's lifetime.</summary>
        internal SyntaxNode? FixedStatement { get; }

        /// <summary>The pin call or creation; diagnostics are reported on its syntax.</summary>
        internal IOperation Operation { get; }

        internal PinKind Kind { get; }

        /// <summary>The pinned object expression, when the site has one.</summary>
        internal IOperation? Target { get; }

        internal SyntaxNode Syntax => Operation.Syntax;

        /// <summary>The pin made by a <c>fixed</c> statement's declarator, or null when it is not one.</summary>
        internal static PinSite? ForFixed(IVariableDeclaratorOperation declarator)
        {
            if (!declarator.Symbol.IsFixed)
            {
                return null;
            }

            for (var node = declarator.Syntax.Parent; node is not null; node = node.Parent)
            {
                if (node.RawKind == (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.FixedStatement)
                {
                    return new PinSite(declarator, node);
                }
            }

            return null;
        }
    }
}
