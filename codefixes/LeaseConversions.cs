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
    /// <summary>What a use of a pinned handle's member means, which decides what each field conversion makes of it.</summary>
    internal enum HandleMemberKind
    {
        /// <summary>The address of the pinned memory: <c>lease.Address</c> (cast back when the old member returned a pointer), or the array's address on the Pinned Object Heap.</summary>
        Address,

        /// <summary>The holder lets go: <c>lease.Dispose()</c>, or <c>lease?.Dispose()</c> when the field may be null; nothing for a POH array.</summary>
        Release,

        /// <summary>
        /// "The pin is held": <c>lease.IsPinned</c>, or <c>lease is { IsPinned: true }</c> when the field may be null. Not
        /// <c>IsRevoked</c>, which stays false after the holder's own <c>Dispose</c>: a released handle must read as not
        /// allocated. For a POH array, "the array is there".
        /// </summary>
        IsPinned,

        /// <summary>The pinned array: <c>lease.Array</c>.</summary>
        Array,
    }

    /// <summary>One member of a handle (a method called with no arguments, or a property read) and what it means.</summary>
    internal sealed class HandleMemberMapping
    {
        internal HandleMemberMapping(string handleMember, bool isMethod, HandleMemberKind kind)
        {
            HandleMember = handleMember;
            IsMethod = isMethod;
            Kind = kind;
        }

        internal string HandleMember { get; }

        internal bool IsMethod { get; }

        internal HandleMemberKind Kind { get; }

        /// <summary>The lease member a lease conversion uses for it.</summary>
        internal string LeaseMember => Kind switch
        {
            HandleMemberKind.Address => "Address",
            HandleMemberKind.Release => "Dispose",
            HandleMemberKind.IsPinned => "IsPinned",
            _ => "Array",
        };
    }

    /// <summary>
    /// A kind of pinned handle kept in a field: which pin sites make it, which field types hold it, and what each of its
    /// members means. <see cref="HandleFieldUses"/> classifies a field's uses against it; every field-conversion fix
    /// (Pinned Object Heap, lease conversion) works from that classification. A new pin kind is a new entry here.
    /// </summary>
    internal sealed class HandleKind
    {
        internal HandleKind(PinKind pinKind, Func<PinApis, ITypeSymbol, bool> isHandleType, ImmutableArray<HandleMemberMapping> members)
        {
            PinKind = pinKind;
            IsHandleType = isHandleType;
            Members = members;
        }

        /// <summary>The pin sites (from <c>HandlePinSites</c>) that make this handle.</summary>
        internal PinKind PinKind { get; }

        /// <summary>True for the type of a field that holds this handle.</summary>
        internal Func<PinApis, ITypeSymbol, bool> IsHandleType { get; }

        /// <summary>The members a fix can rewrite; any other use of the field means no fix.</summary>
        internal ImmutableArray<HandleMemberMapping> Members { get; }

        internal HandleMemberMapping? Find(string name, bool isMethod)
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

        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> in a <c>GCHandle</c> field.</summary>
        internal static readonly HandleKind GCHandle = new(
            PinKind.GCHandle,
            (apis, type) => apis.IsGCHandle(type),
            ImmutableArray.Create(
                new HandleMemberMapping("AddrOfPinnedObject", isMethod: true, HandleMemberKind.Address),
                new HandleMemberMapping("Free", isMethod: true, HandleMemberKind.Release),
                new HandleMemberMapping("IsAllocated", isMethod: false, HandleMemberKind.IsPinned),
                new HandleMemberMapping("Target", isMethod: false, HandleMemberKind.Array)));

        /// <summary><c>new PinnedGCHandle&lt;T[]&gt;(array)</c> in a <c>PinnedGCHandle&lt;T[]&gt;</c> field.</summary>
        internal static readonly HandleKind PinnedArrayHandle = new(
            PinKind.TypedHandle,
            (apis, type) => apis.IsPinnedGCHandle(type) && type is INamedTypeSymbol { TypeArguments.Length: 1 } named && named.TypeArguments[0] is IArrayTypeSymbol,
            ImmutableArray.Create(
                new HandleMemberMapping("GetAddressOfArrayData", isMethod: true, HandleMemberKind.Address),
                new HandleMemberMapping("Dispose", isMethod: true, HandleMemberKind.Release),
                new HandleMemberMapping("IsAllocated", isMethod: false, HandleMemberKind.IsPinned),
                new HandleMemberMapping("Target", isMethod: false, HandleMemberKind.Array)));

        /// <summary><c>memory.Pin()</c> in a <c>MemoryHandle</c> field: <c>Pointer</c> is its address, <c>Dispose()</c> its release.</summary>
        internal static readonly HandleKind MemoryHandle = new(
            PinKind.MemoryHandle,
            (apis, type) => apis.IsMemoryHandle(type),
            ImmutableArray.Create(
                new HandleMemberMapping("Pointer", isMethod: false, HandleMemberKind.Address),
                new HandleMemberMapping("Dispose", isMethod: true, HandleMemberKind.Release)));

        internal static readonly ImmutableArray<HandleKind> All = ImmutableArray.Create(GCHandle, PinnedArrayHandle, MemoryHandle);

        internal static HandleKind? For(PinKind kind)
        {
            foreach (var handle in All)
            {
                if (handle.PinKind == kind)
                {
                    return handle;
                }
            }

            return null;
        }
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
    /// How a handle kept in a field converts to a lease: the handle (its <see cref="HandleKind"/> entry: pins, field type,
    /// member table) and what each pin acquires. <see cref="HandleFieldUses"/> finds and classifies the field's uses;
    /// <see cref="ConvertToPinLeaseCodeFix"/> is the engine (the nullable question, the revocation registration, Fix All);
    /// a conversion is only this data.
    /// </summary>
    internal sealed class LeaseConversion
    {
        internal LeaseConversion(
            string diagnosticId,
            string equivalenceKey,
            string title,
            HandleKind handle,
            string leaseTypeMetadataName,
            string resourceNoun,
            Func<PinSite, INamedTypeSymbol, SemanticModel, CancellationToken, LeaseAcquisition?> acquisition)
        {
            DiagnosticId = diagnosticId;
            EquivalenceKey = equivalenceKey;
            Title = title;
            Handle = handle;
            LeaseTypeMetadataName = leaseTypeMetadataName;
            ResourceNoun = resourceNoun;
            Acquisition = acquisition;
        }

        /// <summary>The diagnostic the conversion fixes.</summary>
        internal string DiagnosticId { get; }

        internal string EquivalenceKey { get; }

        internal string Title { get; }

        /// <summary>The handle it converts: its pin sites, field type and member table.</summary>
        internal HandleKind Handle { get; }

        internal PinKind PinKind => Handle.PinKind;

        /// <summary>The lease type; the fix is offered only when the compilation has it.</summary>
        internal string LeaseTypeMetadataName { get; }

        /// <summary>What is pinned, for the TODO of the revocation registration ("buffer", "view").</summary>
        internal string ResourceNoun { get; }

        /// <summary>The lease a pin site becomes (given the lease type's definition), or null when the pinned thing cannot be leased.</summary>
        internal Func<PinSite, INamedTypeSymbol, SemanticModel, CancellationToken, LeaseAcquisition?> Acquisition { get; }
    }

    /// <summary>
    /// The conversions <see cref="ConvertToPinLeaseCodeFix"/> knows. Adding one is adding an entry here:
    /// <list type="bullet">
    /// <item>PIN3001 (<see cref="MemoryHandle"/>): <c>MemoryHandle _h = memory.Pin()</c> becomes <c>PinLease&lt;T&gt;.Acquire(memory)</c>;
    /// <c>Pointer</c> → <c>Address</c> (cast back to <c>void*</c>), <c>Dispose()</c> → Release.</item>
    /// <item>PIN4001: a view pointer from <c>SafeMemoryMappedViewHandle.AcquirePointer(ref p)</c> becomes
    /// <c>MappedViewLease.Acquire(accessor)</c>, whose <c>Address</c> is already offset by <c>PointerOffset</c>. That pin is
    /// a <c>ref</c> argument rather than an assignment and the field is the pointer itself, not a handle, so for now it is
    /// its own fixer, <see cref="MappedViewLeaseCodeFix"/>, with its own use table; it shares
    /// <see cref="RevocationRegistration"/> and <see cref="LeaseScopes"/>. Moving it here needs a pin-site recognizer next to
    /// the classifier's <c>HandleFieldUses</c> pin recognizer and a mapping for bare reads of the pointer field.</item>
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
            HandleKind.GCHandle,
            PinLease,
            "buffer",
            ArrayLease);

        /// <summary><c>new PinnedGCHandle&lt;T[]&gt;(array)</c> in a <c>PinnedGCHandle&lt;T[]&gt;</c> field.</summary>
        internal static readonly LeaseConversion PinnedGCHandle = new(
            Descriptors.PIN1001PinnedHandleOutlivesMethod.Id,
            ConvertToPinLeaseCodeFix.EquivalenceKey,
            ConvertToPinLeaseCodeFix.Title,
            HandleKind.PinnedArrayHandle,
            PinLease,
            "buffer",
            ArrayLease);

        /// <summary><c>memory.Pin()</c> of a <c>Memory&lt;T&gt;</c> in a <c>MemoryHandle</c> field (PIN3001).</summary>
        internal static readonly LeaseConversion MemoryHandle = new(
            Descriptors.PIN3001MemoryHandleOutlivesMethod.Id,
            ConvertToPinLeaseCodeFix.MemoryEquivalenceKey,
            ConvertToPinLeaseCodeFix.MemoryTitle,
            HandleKind.MemoryHandle,
            PinLease,
            "buffer",
            MemoryLease);

        // PIN4001 (MappedViewLease) is MappedViewLeaseCodeFix for now; see the summary.
        internal static readonly ImmutableArray<LeaseConversion> All = ImmutableArray.Create(GCHandle, PinnedGCHandle, MemoryHandle);

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

        /// <summary>
        /// <c>memory.Pin()</c> of a <c>Memory&lt;T&gt;</c> of an unmanaged <c>T</c>: <c>PinLease&lt;T&gt;.Acquire(memory)</c>. Not
        /// <c>ReadOnlyMemory&lt;T&gt;</c> (the lease takes writable memory; converting it would need
        /// <c>MemoryMarshal.AsMemory</c>, which the fix will not write for the user) nor an <c>IPinnable</c>.
        /// </summary>
        private static LeaseAcquisition? MemoryLease(PinSite site, INamedTypeSymbol leaseDefinition, SemanticModel model, CancellationToken cancellationToken)
        {
            var target = site.Target.WalkDownConversions();
            if (target?.Type is not INamedTypeSymbol { TypeArguments.Length: 1 } memoryType
                || !SymbolEqualityComparer.Default.Equals(memoryType.OriginalDefinition, model.Compilation.GetTypeByMetadataName("System.Memory`1"))
                || memoryType.TypeArguments[0] is not { IsUnmanagedType: true } elementType
                || HasMethodTypeParameter(elementType)
                || target.Syntax is not ExpressionSyntax argument)
            {
                return null;
            }

            return new LeaseAcquisition(leaseDefinition.Construct(elementType), "Acquire", argument);
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
