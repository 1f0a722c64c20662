using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers
{
    /// <summary>
    /// The pin APIs of one compilation, resolved once at compilation start. Every analyzer asks this
    /// object, never the compilation, whether a symbol is a pin API; comparisons are by symbol.
    /// </summary>
    internal sealed class PinApis
    {
        /// <summary><c>GCHandleType.Pinned</c>.</summary>
        internal const int GCHandleTypePinned = 3;

        private PinApis(Compilation compilation, INamedTypeSymbol gcHandle)
        {
            Compilation = compilation;
            GCHandle = gcHandle;
            GCHandleType = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.GCHandleType");
            PinnedGCHandle = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.PinnedGCHandle`1");
            GCHandleExtensions = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.GCHandleExtensions");
            GC = compilation.GetTypeByMetadataName("System.GC");
            MemoryMarshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal");
            IntPtr = compilation.GetSpecialType(SpecialType.System_IntPtr);
            UIntPtr = compilation.GetSpecialType(SpecialType.System_UIntPtr);
            Span = compilation.GetTypeByMetadataName("System.Span`1");
            ReadOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
            Memory = compilation.GetTypeByMetadataName("System.Memory`1");
            ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
            String = compilation.GetSpecialType(SpecialType.System_String);
            ICollection = compilation.GetTypeByMetadataName("System.Collections.Generic.ICollection`1");
            IList = compilation.GetTypeByMetadataName("System.Collections.IList");
            IDictionary = compilation.GetTypeByMetadataName("System.Collections.IDictionary");
            IProducerConsumerCollection = compilation.GetTypeByMetadataName("System.Collections.Concurrent.IProducerConsumerCollection`1");

            GCHandleAlloc = Members<IMethodSymbol>(gcHandle, "Alloc");
            GCHandleFree = Single(gcHandle, "Free");
            GCHandleToIntPtr = Single(gcHandle, "ToIntPtr");
            GCHandleFromIntPtr = Single(gcHandle, "FromIntPtr");
            GCHandleAddrOfPinnedObject = Single(gcHandle, "AddrOfPinnedObject");
            MemoryHandle = compilation.GetTypeByMetadataName("System.Buffers.MemoryHandle");
            IPinnable = compilation.GetTypeByMetadataName("System.Buffers.IPinnable");
            Unsafe = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.Unsafe");
            UnsafeAsPointer = Unsafe is null ? null : Single(Unsafe, "AsPointer");
            MemoryPin = ImmutableArray.CreateRange(new[] { Memory, ReadOnlyMemory, IPinnable }.Where(t => t is not null).SelectMany(t => Members<IMethodSymbol>(t!, "Pin")));
            CreateFromPinnedArray = MemoryMarshal is null ? null : Single(MemoryMarshal, "CreateFromPinnedArray");
            PinLease = compilation.GetTypeByMetadataName("PinAnalyzers.Leases.PinLease`1");
            MappedViewLease = compilation.GetTypeByMetadataName("PinAnalyzers.Leases.MappedViewLease");
            PinScope = compilation.GetTypeByMetadataName("PinAnalyzers.Leases.PinScope`1");
            MappedViewScope = compilation.GetTypeByMetadataName("PinAnalyzers.Leases.MappedViewScope");
            SafeMemoryMappedViewHandle = compilation.GetTypeByMetadataName("Microsoft.Win32.SafeHandles.SafeMemoryMappedViewHandle");
            GCAllocateArray = GC is null ? ImmutableArray<IMethodSymbol>.Empty : Members<IMethodSymbol>(GC, "AllocateArray").AddRange(Members<IMethodSymbol>(GC, "AllocateUninitializedArray"));
        }

        internal Compilation Compilation { get; }

        /// <summary>Which lambdas and local functions run in place (one-level summaries, cached for the compilation).</summary>
        internal Flow.SynchronousDelegates Delegates { get; } = new();

        internal INamedTypeSymbol GCHandle { get; }

        internal INamedTypeSymbol? GCHandleType { get; }

        /// <summary><c>PinnedGCHandle&lt;T&gt;</c> (.NET 10 and later), or null.</summary>
        internal INamedTypeSymbol? PinnedGCHandle { get; }

        internal INamedTypeSymbol? GCHandleExtensions { get; }

        internal INamedTypeSymbol? GC { get; }

        internal INamedTypeSymbol? MemoryMarshal { get; }

        internal INamedTypeSymbol IntPtr { get; }

        internal INamedTypeSymbol UIntPtr { get; }

        internal INamedTypeSymbol? Span { get; }

        internal INamedTypeSymbol? ReadOnlySpan { get; }

        internal INamedTypeSymbol? Memory { get; }

        internal INamedTypeSymbol? ReadOnlyMemory { get; }

        internal INamedTypeSymbol String { get; }

        internal INamedTypeSymbol? ICollection { get; }

        internal INamedTypeSymbol? IList { get; }

        internal INamedTypeSymbol? IDictionary { get; }

        internal INamedTypeSymbol? IProducerConsumerCollection { get; }

        /// <summary><c>System.Buffers.MemoryHandle</c>, the result of <c>Memory&lt;T&gt;.Pin()</c>.</summary>
        internal INamedTypeSymbol? MemoryHandle { get; }

        internal INamedTypeSymbol? IPinnable { get; }

        internal INamedTypeSymbol? Unsafe { get; }

        internal IMethodSymbol? UnsafeAsPointer { get; }

        /// <summary><c>Memory&lt;T&gt;.Pin</c>, <c>ReadOnlyMemory&lt;T&gt;.Pin</c> and <c>IPinnable.Pin</c>.</summary>
        internal ImmutableArray<IMethodSymbol> MemoryPin { get; }

        internal IMethodSymbol? CreateFromPinnedArray { get; }

        /// <summary>The lease library's types (<c>PinAnalyzers.Leases</c>), null when it is not referenced.</summary>
        internal INamedTypeSymbol? PinLease { get; }

        internal INamedTypeSymbol? MappedViewLease { get; }

        internal INamedTypeSymbol? PinScope { get; }

        internal INamedTypeSymbol? MappedViewScope { get; }

        /// <summary>The handle of a memory-mapped view (<c>AcquirePointer</c>/<c>ReleasePointer</c>), or null.</summary>
        internal INamedTypeSymbol? SafeMemoryMappedViewHandle { get; }

        internal bool HasLeases => PinLease is not null || MappedViewLease is not null;

        internal bool IsLease(ITypeSymbol? type) => IsDefinition(type, PinLease) || IsDefinition(type, MappedViewLease);

        internal bool IsLeaseScope(ITypeSymbol? type) => IsDefinition(type, PinScope) || IsDefinition(type, MappedViewScope);

        /// <summary>
        /// A property whose value is the address a pin holds: <c>MemoryHandle.Pointer</c>, a lease's or a scope's
        /// <c>Address</c>, a scope's <c>Span</c>.
        /// </summary>
        internal bool IsAddressProperty(IPropertySymbol property)
        {
            var owner = property.ContainingType;
            return property.Name switch
            {
                "Pointer" => IsMemoryHandle(owner),
                "Address" => IsLease(owner) || IsLeaseScope(owner),
                "Span" => IsLeaseScope(owner),
                _ => false,
            };
        }

        internal ImmutableArray<IMethodSymbol> GCHandleAlloc { get; }

        internal IMethodSymbol? GCHandleFree { get; }

        internal IMethodSymbol? GCHandleToIntPtr { get; }

        internal IMethodSymbol? GCHandleFromIntPtr { get; }

        internal IMethodSymbol? GCHandleAddrOfPinnedObject { get; }

        /// <summary><c>GC.AllocateArray</c> and <c>GC.AllocateUninitializedArray</c> (.NET 5 and later).</summary>
        internal ImmutableArray<IMethodSymbol> GCAllocateArray { get; }

        /// <summary>Resolves the pin APIs, or returns null when the compilation has none (no <c>GCHandle</c>).</summary>
        internal static PinApis? Create(Compilation compilation)
        {
            var gcHandle = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.GCHandle");
            return gcHandle is null ? null : new PinApis(compilation, gcHandle);
        }

        internal bool IsMemoryHandle(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, MemoryHandle);

        /// <summary>A call to <c>Pin()</c> on <c>Memory&lt;T&gt;</c>, <c>ReadOnlyMemory&lt;T&gt;</c> or an <c>IPinnable</c> implementation.</summary>
        internal bool IsMemoryPin(IMethodSymbol method)
        {
            if (method.Name != "Pin" || !IsMemoryHandle(method.ReturnType))
            {
                return false;
            }

            // An implementation of IPinnable.Pin(int) — MemoryManager<T>.Pin — or an override of one.
            for (var current = method; current is not null; current = current.OverriddenMethod)
            {
                if (IsAny(current, MemoryPin))
                {
                    return true;
                }

                foreach (var pin in MemoryPin)
                {
                    if (pin.ContainingType is { TypeKind: TypeKind.Interface } && current.ContainingType?.FindImplementationForInterfaceMember(pin) is IMethodSymbol implementation
                        && SymbolEqualityComparer.Default.Equals(implementation.OriginalDefinition, current.OriginalDefinition))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The member that ends a pin of <paramref name="kind"/>: <c>Free</c> for GCHandle, <c>Dispose</c> for the others.</summary>
        internal bool IsRelease(Flow.PinKind kind, IMethodSymbol method)
            => kind switch
            {
                Flow.PinKind.GCHandle => Is(method, GCHandleFree),
                Flow.PinKind.TypedHandle or Flow.PinKind.MemoryHandle or Flow.PinKind.Lease or Flow.PinKind.LeaseScope => method.Name == "Dispose" && method.Parameters.IsEmpty,
                Flow.PinKind.ViewPointer => method.Name == "ReleasePointer" && method.Parameters.IsEmpty && method.ContainingType?.ToDisplayString() == "System.Runtime.InteropServices.SafeBuffer",
                _ => false,
            };

        internal bool IsGCHandle(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, GCHandle);

        internal bool IsPinnedGCHandle(ITypeSymbol? type)
            => PinnedGCHandle is not null && type is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, PinnedGCHandle);

        /// <summary>A type whose values are pin handles: <c>GCHandle</c> or <c>PinnedGCHandle&lt;T&gt;</c>.</summary>
        internal bool IsHandleType(ITypeSymbol? type) => IsGCHandle(type) || IsPinnedGCHandle(type);

        internal static bool Is(IMethodSymbol? method, IMethodSymbol? expected)
            => method is not null && expected is not null && SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, expected);

        internal static bool IsAny(IMethodSymbol? method, ImmutableArray<IMethodSymbol> expected)
        {
            if (method is null)
            {
                return false;
            }

            foreach (var candidate in expected)
            {
                if (SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, candidate))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>GC.AllocateArray(n, pinned: true)</c> or its uninitialized twin with a constant <c>true</c>.</summary>
        internal bool IsPinnedObjectHeapAllocation(IOperation? operation)
        {
            operation = operation.WalkDownConversions();
            if (operation is IInvocationOperation { Arguments.Length: > 0 } fromPinned && Is(fromPinned.TargetMethod, CreateFromPinnedArray))
            {
                // MemoryMarshal.CreateFromPinnedArray demands a pinned (POH) array.
                return true;
            }

            if (operation is not IInvocationOperation invocation || !IsAny(invocation.TargetMethod, GCAllocateArray))
            {
                return false;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name == "pinned")
                {
                    return argument.Value.ConstantValue is { HasValue: true, Value: true };
                }
            }

            return false;
        }

        private static bool IsDefinition(ITypeSymbol? type, INamedTypeSymbol? definition)
            => definition is not null && type is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, definition);

        private static ImmutableArray<T> Members<T>(INamedTypeSymbol type, string name)
            where T : ISymbol
        {
            var builder = ImmutableArray.CreateBuilder<T>();
            foreach (var member in type.GetMembers(name))
            {
                if (member is T typed)
                {
                    builder.Add(typed);
                }
            }

            return builder.ToImmutable();
        }

        private static IMethodSymbol? Single(INamedTypeSymbol type, string name)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (member is IMethodSymbol method)
                {
                    return method;
                }
            }

            return null;
        }
    }
}
