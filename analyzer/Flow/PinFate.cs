using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>Where a pin value went when it left the method's control.</summary>
    internal enum PinSinkKind
    {
        Field,
        Property,
        ArrayElement,
        Collection,
        Return,
        Yield,
        OutOrRefParameter,
        Capture,
        RetainingCall,
        PointerTarget,

        /// <summary>For <c>fixed</c>: a local declared outside the statement and read after it ends.</summary>
        OuterLocal,

        /// <summary>For a pin owner: handed to another object's constructor, which owns it from then on.</summary>
        Handoff,
    }

    /// <summary>One escape of the pin value (or of a value derived from it).</summary>
    internal sealed class PinSink
    {
        internal PinSink(PinSinkKind kind, IOperation operation, string description, bool isAddress, string? pending = null)
        {
            Kind = kind;
            Operation = operation;
            Description = description;
            IsAddress = isAddress;
            Pending = pending;
        }

        internal PinSinkKind Kind { get; }

        /// <summary>The escaping operation: the assignment, return, capturing reference or argument.</summary>
        internal IOperation Operation { get; }

        /// <summary>Names the sink for messages: "stored in field '_buffer'", "returned", "captured by a lambda".</summary>
        internal string Description { get; }

        /// <summary>True when an address derived from the pin escaped rather than the handle itself.</summary>
        internal bool IsAddress { get; }

        /// <summary>
        /// For a retaining call that starts a request (overlapped I/O, aio, io_uring, a registration, a task): the path on
        /// which it may still run when the pin ends, "the I/O may still be pending when the fixed statement ends via
        /// 'return'" (<see cref="CompletionPaths"/>). Null for other sinks.
        /// </summary>
        internal string? Pending { get; }

        internal PinSink WithPending(string pending) => new(Kind, Operation, Description, IsAddress, pending);
    }

    /// <summary>Whether the pin is released before the method returns.</summary>
    internal enum PinRelease
    {
        /// <summary>Released on every path, exceptional paths included.</summary>
        AllPaths,

        /// <summary>Released on some paths, not all.</summary>
        SomePaths,

        /// <summary>No release at all in the method.</summary>
        NoPath,
    }

    /// <summary>How an unreleased path leaves the method.</summary>
    internal enum PinLeakKind
    {
        None,

        /// <summary>A normal path reaches the end of the method (or an early return) unreleased.</summary>
        NormalPath,

        /// <summary>The pin is made again (next loop iteration) before the previous one is released.</summary>
        PinnedAgain,

        /// <summary>A call that may throw, outside a try/finally that releases, leaves the method by exception.</summary>
        ThrowingCall,

        /// <summary>An explicit throw leaves the method with the pin unreleased.</summary>
        ExplicitThrow,
    }

    /// <summary>
    /// The fate of one pin value in its method, as computed by <see cref="PinFlow"/>: the sinks it reached,
    /// whether it is released on every path, and the loop it was made in. Rules are predicates over this.
    /// </summary>
    internal sealed class PinFate
    {
        internal PinFate(
            PinSite site,
            ImmutableArray<PinSink> sinks,
            PinRelease release,
            PinLeakKind leak,
            IOperation? leakingOperation,
            string? leakingMember,
            ILoopOperation? loop,
            ImmutableArray<ISymbol> handleHolders)
        {
            Site = site;
            Sinks = sinks;
            Release = release;
            Leak = leak;
            LeakingOperation = leakingOperation;
            LeakingMember = leakingMember;
            Loop = loop;
            HandleHolders = handleHolders;
        }

        internal PinSite Site { get; }

        /// <summary>Every escape of the pin value or of a value derived from it, in source order of discovery.</summary>
        internal ImmutableArray<PinSink> Sinks { get; }

        internal PinRelease Release { get; }

        /// <summary>The first way an unreleased path leaves the method (normal paths reported first).</summary>
        internal PinLeakKind Leak { get; }

        /// <summary>The call that may throw, or the throw, for the exceptional leak kinds.</summary>
        internal IOperation? LeakingOperation { get; }

        /// <summary>The name of the member whose exception leaks the pin ("Read").</summary>
        internal string? LeakingMember { get; }

        /// <summary>The innermost loop of the method whose body makes the pin, or null.</summary>
        internal ILoopOperation? Loop { get; }

        /// <summary>The locals, parameters and fields that hold the handle itself in this method.</summary>
        internal ImmutableArray<ISymbol> HandleHolders { get; }

        internal bool Escapes => !Sinks.IsDefaultOrEmpty;

        /// <summary>A short English phrase for the leak: "is never freed", "may leak if 'Read' throws".</summary>
        internal string DescribeLeak(string releaseVerb)
        {
            switch (Leak)
            {
                case PinLeakKind.ThrowingCall:
                    return $"may leak if '{LeakingMember}' throws";
                case PinLeakKind.ExplicitThrow:
                    return $"is not {releaseVerb} when the method throws";
                case PinLeakKind.PinnedAgain:
                    return Release == PinRelease.NoPath
                        ? $"is never {releaseVerb}: each iteration pins again"
                        : $"is not {releaseVerb} before the loop pins again";
                default:
                    return Release == PinRelease.NoPath ? $"is never {releaseVerb}" : $"is not {releaseVerb} on every path";
            }
        }
    }
}
