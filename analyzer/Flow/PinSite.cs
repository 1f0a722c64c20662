using Microsoft.CodeAnalysis;

namespace PinAnalyzers.Flow
{
    /// <summary>What kind of pin a site makes; it decides which members release or read it.</summary>
    internal enum PinKind
    {
        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c>: released by <c>Free()</c>.</summary>
        GCHandle,

        /// <summary><c>new PinnedGCHandle&lt;T&gt;(x)</c>: released by <c>Dispose()</c>.</summary>
        TypedHandle,
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

        /// <summary>The pin call or creation; diagnostics are reported on its syntax.</summary>
        internal IOperation Operation { get; }

        internal PinKind Kind { get; }

        /// <summary>The pinned object expression, when the site has one.</summary>
        internal IOperation? Target { get; }

        internal SyntaxNode Syntax => Operation.Syntax;
    }
}
