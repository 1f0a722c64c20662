using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PinAnalyzers.Flow;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>What a use of the old handle becomes on the lease.</summary>
    internal enum LeaseMemberKind
    {
        /// <summary>The address of the pinned memory: <c>lease.Address</c>, cast back when the old member returned a pointer.</summary>
        Address,

        /// <summary>The holder lets go: <c>lease.Dispose()</c>, or <c>lease?.Dispose()</c> when the field may be null.</summary>
        Release,

        /// <summary>
        /// "The pin is held": <c>lease.IsPinned</c>, or <c>lease is { IsPinned: true }</c> when the field may be null. Not
        /// <c>IsRevoked</c>, which stays false after the holder's own <c>Dispose</c>: a released handle must read as not
        /// allocated.
        /// </summary>
        IsPinned,

        /// <summary>The pinned array: <c>lease.Array</c>.</summary>
        Array,
    }

    /// <summary>One member of the old handle (a method called with no arguments, or a property read) and what it becomes.</summary>
    internal sealed class LeaseMemberMapping
    {
        internal LeaseMemberMapping(string handleMember, bool isMethod, LeaseMemberKind kind)
        {
            HandleMember = handleMember;
            IsMethod = isMethod;
            Kind = kind;
        }

        internal string HandleMember { get; }

        internal bool IsMethod { get; }

        internal LeaseMemberKind Kind { get; }

        /// <summary>The lease member the rewrite uses.</summary>
        internal string LeaseMember => Kind switch
        {
            LeaseMemberKind.Address => "Address",
            LeaseMemberKind.Release => "Dispose",
            LeaseMemberKind.IsPinned => "IsPinned",
            _ => "Array",
        };
    }

    /// <summary>The lease one pin becomes: <c>LeaseType.Method(Argument)</c>.</summary>
    internal sealed class LeaseAcquisition
    {
        internal LeaseAcquisition(INamedTypeSymbol leaseType, string method, ExpressionSyntax argument)
        {
            LeaseType = leaseType;
            Method = method;
            Argument = argument;
        }

        internal INamedTypeSymbol LeaseType { get; }

        internal string Method { get; }

        internal ExpressionSyntax Argument { get; }
    }

    /// <summary>
    /// How a handle kept in a field converts to a lease: which pins and field types it applies to, what each pin
    /// acquires, and what each member of the handle becomes. <see cref="ConvertToPinLeaseCodeFix"/> is the engine
    /// (finding the field and all its uses, the nullable question, the revocation registration, Fix All); a conversion
    /// is only this data.
    /// </summary>
    internal sealed class LeaseConversion
    {
        internal LeaseConversion(
            string diagnosticId,
            string equivalenceKey,
            string title,
            PinKind pinKind,
            string leaseTypeMetadataName,
            string resourceNoun,
            Func<PinApis, ITypeSymbol, bool> isHandleType,
            Func<PinSite, INamedTypeSymbol, SemanticModel, CancellationToken, LeaseAcquisition?> acquisition,
            ImmutableArray<LeaseMemberMapping> members)
        {
            DiagnosticId = diagnosticId;
            EquivalenceKey = equivalenceKey;
            Title = title;
            PinKind = pinKind;
            LeaseTypeMetadataName = leaseTypeMetadataName;
            ResourceNoun = resourceNoun;
            IsHandleType = isHandleType;
            Acquisition = acquisition;
            Members = members;
        }

        /// <summary>The diagnostic the conversion fixes.</summary>
        internal string DiagnosticId { get; }

        internal string EquivalenceKey { get; }

        internal string Title { get; }

        /// <summary>The pin sites (from <c>HandlePinSites</c>) it converts.</summary>
        internal PinKind PinKind { get; }

        /// <summary>The lease type; the fix is offered only when the compilation has it.</summary>
        internal string LeaseTypeMetadataName { get; }

        /// <summary>What is pinned, for the TODO of the revocation registration ("buffer", "view").</summary>
        internal string ResourceNoun { get; }

        /// <summary>True for the type of a field this conversion rewrites.</summary>
        internal Func<PinApis, ITypeSymbol, bool> IsHandleType { get; }

        /// <summary>The lease a pin site becomes (given the lease type's definition), or null when the pinned thing cannot be leased.</summary>
        internal Func<PinSite, INamedTypeSymbol, SemanticModel, CancellationToken, LeaseAcquisition?> Acquisition { get; }

        /// <summary>The handle members the fix can rewrite; any other use of the field means no fix.</summary>
        internal ImmutableArray<LeaseMemberMapping> Members { get; }

        internal LeaseMemberMapping? Find(string name, bool isMethod)
        {
            foreach (var member in Members)
            {
                if (member.HandleMember == name && member.IsMethod == isMethod)
                {
                    return member;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The conversions <see cref="ConvertToPinLeaseCodeFix"/> knows. Adding one is adding an entry here:
    /// <list type="bullet">
    /// <item>PIN3001: <c>MemoryHandle _h = memory.Pin()</c> becomes <c>PinLease&lt;T&gt;.Acquire(memory)</c> — <c>PinKind.MemoryHandle</c>,
    /// field type <c>MemoryHandle</c>, the acquisition takes the <c>Pin()</c> receiver (a <c>Memory&lt;T&gt;</c>; refuse
    /// <c>ReadOnlyMemory&lt;T&gt;</c> and <c>IPinnable</c>), members <c>Pointer</c> → <c>Address</c> (the engine casts back to
    /// <c>void*</c>) and <c>Dispose()</c> → Release.</item>
    /// <item>PIN4001: a view pointer from <c>SafeMemoryMappedViewHandle.AcquirePointer(ref p)</c> becomes
    /// <c>MappedViewLease.Acquire(accessor)</c>, whose <c>Address</c> is already offset by <c>PointerOffset</c>. That pin is
    /// a <c>ref</c> argument rather than an assignment, so besides its table it needs a pin-site recognizer next to the
    /// engine's <c>PinAssignmentOf</c> and a mapping for bare reads of the pointer field.</item>
    /// </list>
    /// </summary>
    internal static class LeaseConversions
    {
        private const string PinLease = "PinAnalyzers.Leases.PinLease`1";

        /// <summary><c>GCHandle.Alloc(array, GCHandleType.Pinned)</c> in a <c>GCHandle</c> field.</summary>
        internal static readonly LeaseConversion GCHandle = new(
            Descriptors.PIN1001PinnedHandleOutlivesMethod.Id,
            ConvertToPinLeaseCodeFix.EquivalenceKey,
            ConvertToPinLeaseCodeFix.Title,
            PinKind.GCHandle,
            PinLease,
            "buffer",
            (apis, type) => apis.IsGCHandle(type),
            ArrayLease,
            ImmutableArray.Create(
                new LeaseMemberMapping("AddrOfPinnedObject", isMethod: true, LeaseMemberKind.Address),
                new LeaseMemberMapping("Free", isMethod: true, LeaseMemberKind.Release),
                new LeaseMemberMapping("IsAllocated", isMethod: false, LeaseMemberKind.IsPinned),
                new LeaseMemberMapping("Target", isMethod: false, LeaseMemberKind.Array)));

        /// <summary><c>new PinnedGCHandle&lt;T[]&gt;(array)</c> in a <c>PinnedGCHandle&lt;T[]&gt;</c> field.</summary>
        internal static readonly LeaseConversion PinnedGCHandle = new(
            Descriptors.PIN1001PinnedHandleOutlivesMethod.Id,
            ConvertToPinLeaseCodeFix.EquivalenceKey,
            ConvertToPinLeaseCodeFix.Title,
            PinKind.TypedHandle,
            PinLease,
            "buffer",
            (apis, type) => apis.IsPinnedGCHandle(type) && type is INamedTypeSymbol { TypeArguments.Length: 1 } named && named.TypeArguments[0] is IArrayTypeSymbol,
            ArrayLease,
            ImmutableArray.Create(
                new LeaseMemberMapping("GetAddressOfArrayData", isMethod: true, LeaseMemberKind.Address),
                new LeaseMemberMapping("Dispose", isMethod: true, LeaseMemberKind.Release),
                new LeaseMemberMapping("IsAllocated", isMethod: false, LeaseMemberKind.IsPinned),
                new LeaseMemberMapping("Target", isMethod: false, LeaseMemberKind.Array)));

        // PIN3001 (MemoryHandle) and PIN4001 (MappedViewLease) plug in here; see the summary.
        internal static readonly ImmutableArray<LeaseConversion> All = ImmutableArray.Create(GCHandle, PinnedGCHandle);

        internal static LeaseConversion? For(PinKind kind)
        {
            foreach (var conversion in All)
            {
                if (conversion.PinKind == kind)
                {
                    return conversion;
                }
            }

            return null;
        }

        /// <summary>
        /// A pinned single-dimensional array of an unmanaged type: <c>PinLease&lt;T&gt;.Acquire(array)</c>, or
        /// <c>PinLease&lt;T&gt;.Allocate(n)</c> for an inline <c>new T[n]</c> (zeroed like the new array, and on the Pinned
        /// Object Heap where the runtime has one; the array is reachable only through the handle, so through <c>Array</c>).
        /// </summary>
        private static LeaseAcquisition? ArrayLease(PinSite site, INamedTypeSymbol leaseDefinition, SemanticModel model, CancellationToken cancellationToken)
        {
            var target = site.Target.WalkDownConversions();
            if (target?.Type is not IArrayTypeSymbol { IsSZArray: true } arrayType
                || !arrayType.ElementType.IsUnmanagedType
                || HasMethodTypeParameter(arrayType.ElementType)
                || target.Syntax is not ExpressionSyntax argument)
            {
                return null;
            }

            var leaseType = leaseDefinition.Construct(arrayType.ElementType);
            if (argument is ArrayCreationExpressionSyntax { Initializer: null, Type.RankSpecifiers: { Count: 1 } ranks }
                && ranks[0].Sizes is { Count: 1 } sizes
                && sizes[0] is not OmittedArraySizeExpressionSyntax
                && model.ClassifyConversion(sizes[0], model.Compilation.GetSpecialType(SpecialType.System_Int32)).IsImplicit)
            {
                return new LeaseAcquisition(leaseType, "Allocate", sizes[0]);
            }

            return new LeaseAcquisition(leaseType, "Acquire", argument);
        }

        /// <summary>A method's type parameter cannot be the element type of a field's lease.</summary>
        private static bool HasMethodTypeParameter(ITypeSymbol type)
            => type switch
            {
                ITypeParameterSymbol parameter => parameter.TypeParameterKind != TypeParameterKind.Type,
                INamedTypeSymbol named => named.TypeArguments.Any(HasMethodTypeParameter),
                IPointerTypeSymbol pointer => HasMethodTypeParameter(pointer.PointedAtType),
                _ => false,
            };
    }
}
