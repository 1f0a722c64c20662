using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// A type of the compilation that owns a pin (DESIGN.md, "Pins made by helpers"): its constructor stores a pin in
    /// its own field and its releasing member (<c>Dispose</c>, <c>Free</c> or <c>Close</c>) releases it.
    /// </summary>
    internal sealed class PinOwner
    {
        internal PinOwner(INamedTypeSymbol type, PinKind innerKind, ImmutableHashSet<string> releaseNames, ImmutableHashSet<IMethodSymbol>? pinningConstructors)
        {
            Type = type;
            InnerKind = innerKind;
            ReleaseNames = releaseNames;
            _pinningConstructors = pinningConstructors;
        }

        /// <summary>The constructors that pin (their own body, a helper, or a <c>this(…)</c> they chain to); null when every one does (an initializer pins).</summary>
        private readonly ImmutableHashSet<IMethodSymbol>? _pinningConstructors;

        /// <summary>
        /// True when <c>new Owner(…)</c> through <paramref name="constructor"/> holds a pin: SharpFont's <c>Face(Library, byte[], int)</c>
        /// pins the file, <c>Face(Library, string)</c> does not.
        /// </summary>
        internal bool PinsOnConstruction(IMethodSymbol? constructor)
            => _pinningConstructors is null || constructor is null || _pinningConstructors.Contains(constructor.OriginalDefinition);

        internal INamedTypeSymbol Type { get; }

        /// <summary>The kind of pin the owner holds: a handle (PIN1xxx) or a <c>MemoryHandle</c> (PIN3xxx).</summary>
        internal PinKind InnerKind { get; }

        /// <summary>The simple names of the members that release the pin.</summary>
        internal ImmutableHashSet<string> ReleaseNames { get; }

        internal bool IsMemory => InnerKind == PinKind.MemoryHandle;

        /// <summary>The verb for messages: "disposed" unless the owner is released only by <c>Free</c> or <c>Close</c>.</summary>
        internal string ReleaseVerb
            => ReleaseNames.Contains("Dispose") ? "disposed" : ReleaseNames.Contains("Free") ? "freed" : "closed";

        /// <summary>True when a call of <paramref name="method"/> on an owner value releases its pin.</summary>
        internal bool IsRelease(IMethodSymbol method)
        {
            if (!method.Parameters.IsEmpty || method.IsStatic)
            {
                return false;
            }

            if (method.Name == "Dispose" && ReleaseNames.Contains("Dispose"))
            {
                // IDisposable.Dispose through the interface (a using on a class) or the type's own.
                return true;
            }

            return ReleaseNames.Contains(method.Name) && IsOwnType(method.ContainingType);
        }

        /// <summary>The owner's own members (its address, its length) are part of the pin: the can-throw policy exempts them.</summary>
        internal bool IsOwnType(ITypeSymbol? type)
            => type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, Type.OriginalDefinition);
    }

    /// <summary>What a source method returns, when every return is a fresh pin of one shape.</summary>
    internal sealed class PinReturn
    {
        internal PinReturn(PinKind kind, PinOwner? owner)
        {
            Kind = kind;
            Owner = owner;
        }

        /// <summary><see cref="PinKind.GCHandle"/>, <see cref="PinKind.TypedHandle"/>, <see cref="PinKind.MemoryHandle"/> or <see cref="PinKind.Owner"/>.</summary>
        internal PinKind Kind { get; }

        internal PinOwner? Owner { get; }
    }

    /// <summary>
    /// One-level summaries of the compilation's own members (DESIGN.md, "Pins made by helpers (one level)"): pin owners,
    /// methods that return a pin, methods that keep a pointer argument, constructors that store an address argument.
    /// Each is computed lazily, at most once per member per compilation (shared by every analyzer), and only for members
    /// that a pin value or a pin-shaped type reaches. Summaries never consult other summaries of the same kind: no
    /// recursion, no guessing.
    /// </summary>
    internal sealed class PinSummaries
    {
        private static readonly ConditionalWeakTable<Compilation, PinSummaries> s_byCompilation = new();

        private readonly PinApis _apis;

        /// <summary>The API symbols of the compilation these summaries belong to.</summary>
        internal PinApis Apis => _apis;
        private readonly ConcurrentDictionary<INamedTypeSymbol, Lazy<PinOwner?>> _owners = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, Lazy<PinReturn?>> _returns = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, Lazy<ImmutableHashSet<int>>> _keeps = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<(IMethodSymbol Method, int Ordinal, PinKind Kind), Lazy<bool>> _keepsHandle = new();
        private readonly ConcurrentDictionary<IMethodSymbol, Lazy<ImmutableHashSet<int>>> _stores = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, Lazy<bool>> _holderReleases = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<SyntaxTree, bool> _treeMentions = new();

        private PinSummaries(PinApis apis) => _apis = apis;

        /// <summary>The summaries of <paramref name="apis"/>' compilation, made on first use and shared by all analyzers.</summary>
        internal static PinSummaries For(PinApis apis)
            => s_byCompilation.GetValue(apis.Compilation, _ => new PinSummaries(apis));

        /// <summary>
        /// A pin made by a helper of the compilation: <c>new Owner(…)</c>, a call of a method whose every return is a fresh
        /// pin, or a user-defined conversion that is one. Cheap for everything else: a kind test and a source check.
        /// </summary>
        internal PinSite? FindSite(IOperation operation)
        {
            switch (operation)
            {
                case IObjectCreationOperation creation when OwnerOf(creation.Type) is { } owner && owner.PinsOnConstruction(creation.Constructor):
                    return new PinSite(creation, PinKind.Owner, owner, owner.Type.Name);
                case IInvocationOperation invocation when ReturnOf(invocation.TargetMethod) is { } returned:
                    return new PinSite(invocation, returned.Kind, returned.Owner, returned.Owner?.Type.Name ?? invocation.TargetMethod.Name);
                case IConversionOperation { OperatorMethod: { } conversion } converted when ReturnOf(conversion) is { } returned:
                    return new PinSite(converted, returned.Kind, returned.Owner, returned.Owner?.Type.Name ?? conversion.ContainingType.Name);
                default:
                    return null;
            }
        }

        /// <summary>The pin owner summary of a source type, or null when it is not one.</summary>
        internal PinOwner? OwnerOf(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named || !IsInSource(named) || _apis.IsHandleType(named) || _apis.IsMemoryHandle(named))
            {
                return null;
            }

            var definition = named.OriginalDefinition;
            return _owners.TryGetValue(definition, out var known) ? known.Value : AddOwner(definition);
        }

        /// <summary>What <paramref name="method"/> returns when every return is a fresh pin of one shape; else null.</summary>
        internal PinReturn? ReturnOf(IMethodSymbol method)
        {
            if (method.MethodKind is not (MethodKind.Ordinary or MethodKind.Conversion or MethodKind.ReducedExtension) || method.ReturnsVoid || method.ReturnsByRef)
            {
                return null;
            }

            var definition = method.ReducedFrom ?? method;
            definition = definition.OriginalDefinition;
            if (!IsInSource(definition) || !MayReturnPin(definition.ReturnType))
            {
                return null;
            }

            return _returns.TryGetValue(definition, out var known) ? known.Value : AddReturn(definition);
        }

        // The miss paths live apart so that the hit path allocates no closure.
        private PinOwner? AddOwner(INamedTypeSymbol type) => _owners.GetOrAdd(type, new Lazy<PinOwner?>(() => ComputeOwner(type))).Value;

        private PinReturn? AddReturn(IMethodSymbol method) => _returns.GetOrAdd(method, new Lazy<PinReturn?>(() => ComputeReturn(method))).Value;

        /// <summary>
        /// True when the source method <paramref name="method"/> keeps the pointer passed as <paramref name="parameter"/>:
        /// the parameter escapes in its body to a field, a capture or a retaining call (one level).
        /// </summary>
        internal bool Keeps(IMethodSymbol method, IParameterSymbol? parameter)
        {
            if (parameter is null || method.MethodKind is not (MethodKind.Ordinary or MethodKind.Constructor or MethodKind.ReducedExtension) || !IsAddressType(parameter.Type))
            {
                return false;
            }

            var definition = (method.ReducedFrom ?? method).OriginalDefinition;
            if (!IsInSource(definition) || definition.IsExtern)
            {
                return false;
            }

            var ordinal = OrdinalIn(definition, parameter, method);
            return ordinal >= 0 && _keeps.GetOrAdd(definition, m => new Lazy<ImmutableHashSet<int>>(() => ComputeEscapes(m, keeps: true))).Value.Contains(ordinal);
        }

        /// <summary>
        /// True when the source method <paramref name="method"/> (not a constructor) keeps the handle passed as
        /// <paramref name="parameter"/>: stores it in a field or property of an object, or adds it to a collection held in
        /// one (one level, once per method and pin kind).
        /// </summary>
        internal bool KeepsHandle(IMethodSymbol method, IParameterSymbol? parameter, PinKind kind)
        {
            if (parameter is null || parameter.RefKind != RefKind.None || method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction)
                || kind is not (PinKind.GCHandle or PinKind.TypedHandle or PinKind.MemoryHandle)
                || !(kind == PinKind.GCHandle ? _apis.IsGCHandle(parameter.Type) : kind == PinKind.TypedHandle ? _apis.IsPinnedGCHandle(parameter.Type) : _apis.IsMemoryHandle(parameter.Type)))
            {
                return false;
            }

            var definition = method.OriginalDefinition;
            if (!IsInSource(definition) || definition.IsExtern || definition.IsAbstract || parameter.Ordinal >= definition.Parameters.Length)
            {
                return false;
            }

            return _keepsHandle.GetOrAdd((definition, parameter.Ordinal, kind), key => new Lazy<bool>(() => ComputeKeepsHandle(key.Method, key.Ordinal, key.Kind))).Value;
        }

        private bool ComputeKeepsHandle(IMethodSymbol method, int ordinal, PinKind kind)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                if (syntax is not (BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax) || OperationOf(syntax) is not { } body)
                {
                    continue;
                }

                var function = new FunctionFlow(body, null, method, () => null);
                foreach (var sink in PinFlow.HandleParameterSinks(method.Parameters[ordinal], function, _apis, kind))
                {
                    if (!sink.IsAddress && sink.Kind is PinSinkKind.Field or PinSinkKind.Property or PinSinkKind.Collection or PinSinkKind.ArrayElement)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// True when the source constructor <paramref name="constructor"/> stores the address passed as
        /// <paramref name="parameter"/> in the object it builds: the new value carries the address.
        /// </summary>
        internal bool Stores(IMethodSymbol constructor, IParameterSymbol? parameter)
        {
            if (parameter is null || constructor.MethodKind != MethodKind.Constructor || constructor.IsStatic || !IsAddressType(parameter.Type))
            {
                return false;
            }

            var definition = constructor.OriginalDefinition;
            if (!IsInSource(definition))
            {
                return false;
            }

            var ordinal = OrdinalIn(definition, parameter, constructor);
            return ordinal >= 0 && _stores.GetOrAdd(definition, m => new Lazy<ImmutableHashSet<int>>(() => ComputeEscapes(m, keeps: false))).Value.Contains(ordinal);
        }

        /// <summary>
        /// True when the type holding <paramref name="holder"/> (a field or property) releases the owner it holds: some
        /// member calls one of <paramref name="owner"/>'s releasing members on it (<c>_buffer.Dispose()</c>, <c>_buffer?.Dispose()</c>).
        /// </summary>
        internal bool HolderReleases(ISymbol holder, PinOwner owner)
            => _holderReleases.GetOrAdd(holder, h => new Lazy<bool>(() => ComputeHolderReleases(h, owner))).Value;

        private static bool IsInSource(ISymbol symbol)
        {
            foreach (var location in symbol.Locations)
            {
                if (location.IsInSource)
                {
                    return true;
                }
            }

            return false;
        }

        private static int OrdinalIn(IMethodSymbol definition, IParameterSymbol parameter, IMethodSymbol called)
        {
            var ordinal = parameter.Ordinal;
            if (called.MethodKind == MethodKind.ReducedExtension)
            {
                // The receiver of a reduced extension call is parameter 0 of the definition.
                ordinal++;
            }

            return ordinal < definition.Parameters.Length ? ordinal : -1;
        }

        private bool IsAddressType(ITypeSymbol type)
        {
            if (type is IPointerTypeSymbol or IFunctionPointerTypeSymbol || type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
            {
                return true;
            }

            return type is INamedTypeSymbol named
                && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, _apis.Span)
                    || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, _apis.ReadOnlySpan));
        }

        /// <summary>The cheap part: only a handle, a <c>MemoryHandle</c> or a pin owner can be a returned pin.</summary>
        /// <remarks>A source type must be an owner itself (cached, syntax-filtered) before any method body is bound.</remarks>
        private bool MayReturnPin(ITypeSymbol type)
            => _apis.IsHandleType(type) || _apis.IsMemoryHandle(type) || OwnerOf(type) is not null;

#pragma warning disable RS1030 // A summary reads a member declared in another tree; the analysis context offers no model for it.
        private SemanticModel ModelFor(SyntaxTree tree) => _apis.Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030

        private IOperation? OperationOf(SyntaxNode declaration)
        {
            if (!_apis.Compilation.ContainsSyntaxTree(declaration.SyntaxTree))
            {
                return null;
            }

            return ModelFor(declaration.SyntaxTree).GetOperation(declaration);
        }

        // ---- pin owners -------------------------------------------------------------------------------------------

        private PinOwner? ComputeOwner(INamedTypeSymbol type)
        {
            // Syntax first: a type whose text never names a pin API is not an owner, and costs no semantic model.
            var mentionsPin = false;
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (_treeMentions.GetOrAdd(reference.SyntaxTree, TreeMentionsPinApi) && MentionsPinApi(reference.GetSyntax()))
                {
                    mentionsPin = true;
                    break;
                }
            }

            if (!mentionsPin)
            {
                return null;
            }

            var pinned = new Dictionary<ISymbol, PinKind>(SymbolEqualityComparer.Default);
            var pinningConstructors = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            var chained = new List<(IMethodSymbol Constructor, IMethodSymbol Target)>();
            var initializerPins = false;
            foreach (var member in type.GetMembers())
            {
                switch (member)
                {
                    case IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } constructor:
                        foreach (var reference in constructor.DeclaringSyntaxReferences)
                        {
                            if (reference.GetSyntax() is ConstructorDeclarationSyntax declaration && OperationOf(declaration) is { } body)
                            {
                                var own = new Dictionary<ISymbol, PinKind>(SymbolEqualityComparer.Default);
                                CollectPinnedMembers(body, type, own);
                                if (body is IConstructorBodyOperation { Initializer: { } initializer }
                                    && (initializer is IExpressionStatementOperation statement ? statement.Operation : initializer) is IInvocationOperation { TargetMethod: { MethodKind: MethodKind.Constructor } target }
                                    && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, type))
                                {
                                    // : this(library, path, 0) — pins when the constructor it chains to does.
                                    chained.Add((constructor.OriginalDefinition, target.OriginalDefinition));
                                }

                                foreach (var pair in own)
                                {
                                    pinned[pair.Key] = pair.Value;
                                }

                                if (own.Count > 0)
                                {
                                    pinningConstructors.Add(constructor.OriginalDefinition);
                                }
                                foreach (var helper in OwnCalls(body, type))
                                {
                                    // new PinnedArray(n) { …; Init(); }: the constructor's own helper pins for it (one level).
                                    foreach (var helperReference in helper.DeclaringSyntaxReferences)
                                    {
                                        if (helperReference.GetSyntax() is MethodDeclarationSyntax helperDeclaration && OperationOf(helperDeclaration) is { } helperBody)
                                        {
                                            var helperPins = new Dictionary<ISymbol, PinKind>(SymbolEqualityComparer.Default);
                                            CollectPinnedMembers(helperBody, type, helperPins);
                                            foreach (var pair in helperPins)
                                            {
                                                pinned[pair.Key] = pair.Value;
                                            }

                                            if (helperPins.Count > 0)
                                            {
                                                pinningConstructors.Add(constructor.OriginalDefinition);
                                            }
                                        }
                                    }
                                }
                            }
                        }

                        break;

                    case IFieldSymbol { IsStatic: false } or IPropertySymbol { IsStatic: false }:
                        foreach (var reference in member.DeclaringSyntaxReferences)
                        {
                            var initializer = reference.GetSyntax() switch
                            {
                                VariableDeclaratorSyntax { Initializer: { } value } => (SyntaxNode)value,
                                PropertyDeclarationSyntax { Initializer: { } value } => value,
                                _ => null,
                            };

                            if (initializer is not null && OperationOf(initializer) is { } operation)
                            {
                                var count = pinned.Count;
                                CollectPinnedMembers(operation, type, pinned);
                                initializerPins |= pinned.Count > count;
                            }
                        }

                        break;
                }
            }

            if (pinned.Count == 0)
            {
                return null;
            }

            var releaseNames = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            PinKind? kind = null;
            foreach (var member in type.GetMembers())
            {
                if (member is not IMethodSymbol { IsStatic: false, MethodKind: MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation } method)
                {
                    continue;
                }

                var name = ReleasingName(method, type);
                if (name is null)
                {
                    continue;
                }

                if (ReleasedMember(method, type, pinned, depth: 0, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default)) is { } released)
                {
                    releaseNames.Add(name);
                    kind ??= released;
                }
            }

            // Chains are short (this(a) → this(a, b) → this(a, b, c)): propagate until nothing changes.
            for (var changed = true; changed;)
            {
                changed = false;
                foreach (var (constructor, target) in chained)
                {
                    if (pinningConstructors.Contains(target) && pinningConstructors.Add(constructor))
                    {
                        changed = true;
                    }
                }
            }

            // A constructor that pins and a type that never frees is no owner: its own Alloc keeps its PIN1001.
            return kind is { } innerKind
                ? new PinOwner(type, innerKind, releaseNames.ToImmutable(), initializerPins ? null : pinningConstructors.ToImmutableHashSet<IMethodSymbol>(SymbolEqualityComparer.Default))
                : null;
        }

        private static string? ReleasingName(IMethodSymbol method, INamedTypeSymbol type)
        {
            if (method.Parameters.Length == 1)
            {
                // protected override void Dispose(bool disposing): the base's Dispose() calls it.
                return method.Name == "Dispose" && method.Parameters[0].Type.SpecialType == SpecialType.System_Boolean && ImplementsIDisposable(type) ? "Dispose" : null;
            }

            if (!method.Parameters.IsEmpty)
            {
                return null;
            }

            var name = method.Name;
            if (method.MethodKind == MethodKind.ExplicitInterfaceImplementation)
            {
                name = method.ExplicitInterfaceImplementations.Length == 1 ? method.ExplicitInterfaceImplementations[0].Name : string.Empty;
            }

            return name is "Dispose" or "Free" or "Close" ? name : null;
        }

        private static bool ImplementsIDisposable(INamedTypeSymbol type)
        {
            foreach (var implemented in type.AllInterfaces)
            {
                if (implemented.SpecialType == SpecialType.System_IDisposable)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The instance methods of <paramref name="type"/> that <paramref name="body"/> calls on <c>this</c>.</summary>
        private static IEnumerable<IMethodSymbol> OwnCalls(IOperation body, INamedTypeSymbol type)
        {
            var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            foreach (var operation in body.Descendants())
            {
                if (operation is IInvocationOperation { Instance: null or IInstanceReferenceOperation, TargetMethod: { IsStatic: false } target }
                    && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, type)
                    && seen.Add(target.OriginalDefinition))
                {
                    yield return target.OriginalDefinition;
                }
            }
        }

        /// <remarks>
        /// An owner keeps its pin in a field or property, whose type names the handle: <c>GCHandle</c>,
        /// <c>PinnedGCHandle&lt;T&gt;</c> or <c>MemoryHandle</c>. Names such as <c>Alloc</c> or <c>Pin</c> alone are too
        /// common in allocators and emulators to be worth binding a constructor for.
        /// </remarks>
        /// <summary>A text search of the whole file, once per file: most files never name a handle type at all.</summary>
        private static bool TreeMentionsPinApi(SyntaxTree tree)
        {
            var text = tree.GetText().ToString();
            return text.IndexOf("GCHandle", StringComparison.Ordinal) >= 0 || text.IndexOf("MemoryHandle", StringComparison.Ordinal) >= 0;
        }

        private static bool MentionsPinApi(SyntaxNode node)
        {
            foreach (var token in node.DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText is "GCHandle" or "PinnedGCHandle" or "MemoryHandle")
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Records the members of <paramref name="type"/> that a constructor or initializer assigns a fresh pin to.</summary>
        private void CollectPinnedMembers(IOperation root, INamedTypeSymbol type, Dictionary<ISymbol, PinKind> pinned)
        {
            foreach (var operation in root.SelfAndDescendants())
            {
                IOperation? value;
                IEnumerable<ISymbol> targets;
                switch (operation)
                {
                    case ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Instance: null or IInstanceReferenceOperation } member } assignment
                        when member.Member is IFieldSymbol or IPropertySymbol:
                        value = assignment.Value;
                        targets = new[] { member.Member };
                        break;
                    case IFieldInitializerOperation fieldInitializer:
                        value = fieldInitializer.Value;
                        targets = fieldInitializer.InitializedFields;
                        break;
                    case IPropertyInitializerOperation propertyInitializer:
                        value = propertyInitializer.Value;
                        targets = propertyInitializer.InitializedProperties;
                        break;
                    default:
                        continue;
                }

                if (FreshPinKind(value) is not { } kind)
                {
                    continue;
                }

                foreach (var target in targets)
                {
                    if (!target.IsStatic && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, type))
                    {
                        pinned[target] = kind;
                    }
                }
            }
        }

        /// <summary>The kind of a fresh handle or memory pin (the framework's own sites), or null.</summary>
        private PinKind? FreshPinKind(IOperation? value)
        {
            var stripped = value.WalkDownConversions();
            return stripped is not null && HandlePinSites.Find(stripped, _apis) is { } site ? site.Kind : null;
        }

        /// <summary>
        /// The kind of pin <paramref name="method"/> releases on one of <paramref name="pinned"/>, following calls to the
        /// type's own methods (<c>Dispose()</c> → <c>Dispose(true)</c> → <c>FreeResources()</c>) a few levels, no recursion.
        /// </summary>
        private PinKind? ReleasedMember(IMethodSymbol method, INamedTypeSymbol type, Dictionary<ISymbol, PinKind> pinned, int depth, HashSet<IMethodSymbol> seen)
        {
            if (depth > 3 || !seen.Add(method))
            {
                return null;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not BaseMethodDeclarationSyntax declaration || OperationOf(declaration) is not { } body)
                {
                    continue;
                }

                foreach (var operation in body.Descendants())
                {
                    if (operation is not IInvocationOperation invocation)
                    {
                        continue;
                    }

                    var instance = invocation.Instance.WalkDownConversions();
                    if (instance is IConditionalAccessInstanceOperation && invocation.Parent is IConditionalAccessOperation conditional)
                    {
                        instance = conditional.Operation.WalkDownConversions();
                    }

                    if (instance is IMemberReferenceOperation { Instance: null or IInstanceReferenceOperation } member
                        && pinned.TryGetValue(member.Member, out var kind)
                        && _apis.IsRelease(kind, invocation.TargetMethod))
                    {
                        return kind;
                    }

                    if (instance is null or IInstanceReferenceOperation
                        && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType?.OriginalDefinition, type)
                        && ReleasedMember(invocation.TargetMethod.OriginalDefinition, type, pinned, depth + 1, seen) is { } nested)
                    {
                        return nested;
                    }
                }
            }

            return null;
        }

        // ---- methods that return a pin ---------------------------------------------------------------------------

        private PinReturn? ComputeReturn(IMethodSymbol method)
        {
            if (method.IsAsync)
            {
                return null;
            }

            PinReturn? shape = null;
            var returns = 0;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                if (syntax is not (BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax) || OperationOf(syntax) is not { } body)
                {
                    return null;
                }

                foreach (var operation in body.Descendants())
                {
                    if (operation is not IReturnOperation { Kind: OperationKind.Return } returned || InNestedFunction(returned, body))
                    {
                        continue;
                    }

                    returns++;
                    var current = ReturnedShape(returned.ReturnedValue, method, body);
                    if (current is null)
                    {
                        return null;
                    }

                    if (shape is not null && (shape.Kind != current.Kind || !ReferenceEquals(shape.Owner, current.Owner)))
                    {
                        // More than one return shape: stay silent rather than guess.
                        return null;
                    }

                    shape = current;
                }
            }

            return returns > 0 ? shape : null;
        }

        private static bool InNestedFunction(IOperation operation, IOperation body)
        {
            for (var current = operation.Parent; current is not null && !ReferenceEquals(current, body); current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return true;
                }
            }

            return false;
        }

        private PinReturn? ReturnedShape(IOperation? value, IMethodSymbol method, IOperation body)
        {
            var stripped = value.WalkDownConversions();
            if (stripped is ILocalReferenceOperation local)
            {
                // var h = GCHandle.Alloc(…); … return h; — a local written once, by its declaration.
                stripped = SingleInitializer(local.Local, body).WalkDownConversions();
            }

            switch (stripped)
            {
                case null:
                    return null;
                case IObjectCreationOperation creation when OwnerOf(creation.Type) is { } owner && owner.PinsOnConstruction(creation.Constructor):
                    return new PinReturn(PinKind.Owner, owner);
                case IInvocationOperation invocation when SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.OriginalDefinition, method):
                    // Recursion is not a summary.
                    return null;
                default:
                    return HandlePinSites.Find(stripped, _apis) is { } site ? new PinReturn(site.Kind, null) : null;
            }
        }

        private static IOperation? SingleInitializer(ILocalSymbol local, IOperation body)
        {
            IOperation? initializer = null;
            foreach (var operation in body.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        initializer = declarator.Initializer?.Value;
                        break;
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local)
                        && reference.Parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, reference):
                        return null;
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local)
                        && reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref }:
                        return null;
                }
            }

            return initializer;
        }

        // ---- parameters that escape (retaining helpers, address-carrying constructors) -------------------------

        private ImmutableHashSet<int> ComputeEscapes(IMethodSymbol method, bool keeps)
        {
            var result = ImmutableHashSet<int>.Empty;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                if (syntax is not BaseMethodDeclarationSyntax || OperationOf(syntax) is not { } body)
                {
                    continue;
                }

                foreach (var parameter in method.Parameters)
                {
                    if (!IsAddressType(parameter.Type) || parameter.RefKind != RefKind.None)
                    {
                        continue;
                    }

                    var function = new FunctionFlow(body, null, method, () => null);
                    foreach (var sink in PinFlow.ParameterSinks(parameter, function, _apis))
                    {
                        if (keeps ? KeepsBy(sink) : StoresBy(sink))
                        {
                            result = result.Add(parameter.Ordinal);
                            break;
                        }
                    }
                }
            }

            return result;
        }

        /// <summary>A helper keeps a pointer when it stores it beyond the call, hands it to a continuation or to a call that keeps it.</summary>
        private static bool KeepsBy(PinSink sink)
            => sink.Kind switch
            {
                PinSinkKind.Field or PinSinkKind.Property => !ClearedBeforeReturning(sink.Operation),
                PinSinkKind.RetainingCall or PinSinkKind.Collection => true,
                // Task.Run(() => Use(p)), t.ContinueWith(_ => Use(p)), a stored delegate; not Parallel.For or LINQ.
                PinSinkKind.Capture => PinFlow.CaptureMayOutliveCall(sink.Operation),
                _ => false,
            };

        /// <summary>
        /// <c>recvBufferPtr = reqBuffer; … recvBufferPtr = null;</c>: a helper that parks the pointer in a field of its own
        /// object for the duration of the call — a later statement of the same block clears the same member (<c>null</c> or
        /// <c>default</c>) and nothing in between returns (Garnet's <c>TryConsumeMessages</c>). A throw in between still
        /// leaves it set; the object then is usually being torn down, and that path is not judged here.
        /// </summary>
        private static bool ClearedBeforeReturning(IOperation store)
        {
            if (store is not ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Instance: IInstanceReferenceOperation or null, Member: var member } }
                || store.Syntax.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax block } statement)
            {
                return false;
            }

            for (var i = block.Statements.IndexOf(statement) + 1; i < block.Statements.Count; i++)
            {
                var later = block.Statements[i];
                if (later is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: var target, Right: var cleared } }
                    && (cleared.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.NullLiteralExpression) || cleared.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.DefaultLiteralExpression))
                    && target switch
                    {
                        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var simple } => simple.Identifier.ValueText,
                        _ => null,
                    } == member.Name)
                {
                    return true;
                }

                foreach (var node in later.DescendantNodesAndSelf(descend => descend is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
                {
                    if (node is ReturnStatementSyntax or YieldStatementSyntax or GotoStatementSyntax)
                    {
                        return false;
                    }
                }
            }

            return false;
        }

        /// <summary>A constructor stores an address when it assigns it to a member of the instance being built.</summary>
        private static bool StoresBy(PinSink sink)
        {
            var target = sink.Operation switch
            {
                ISimpleAssignmentOperation assignment => assignment.Target,
                _ => null,
            };

            return sink.Kind is PinSinkKind.Field or PinSinkKind.Property
                && target is IMemberReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } };
        }

        // ---- holders of owners -----------------------------------------------------------------------------------

        private bool ComputeHolderReleases(ISymbol holder, PinOwner owner)
        {
            var type = holder.ContainingType;
            if (type is null)
            {
                return false;
            }

            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    // _buffer.Dispose(), this._buffer.Dispose(), _buffer?.Dispose()
                    if (node is InvocationExpressionSyntax invocation)
                    {
                        var (receiver, name) = invocation.Expression switch
                        {
                            MemberAccessExpressionSyntax member => (member.Expression, member.Name.Identifier.ValueText),
                            MemberBindingExpressionSyntax binding when invocation.Parent is ConditionalAccessExpressionSyntax conditional
                                && ReferenceEquals(conditional.WhenNotNull, invocation) => (conditional.Expression, binding.Name.Identifier.ValueText),
                            _ => ((ExpressionSyntax?)null, string.Empty),
                        };

                        if (receiver is not null && owner.ReleaseNames.Contains(name) && Names(receiver, holder.Name))
                        {
                            return true;
                        }
                    }

                    // using (_buffer) or a foreach over a holder of owners that disposes each: leave to the holder.
                    if (node is UsingStatementSyntax { Expression: { } used } && Names(used, holder.Name))
                    {
                        return true;
                    }

                    // _blocks.Add(_currentBlock) into a collection whose every element the type releases (Veldrid's
                    // command-entry list keeps the current block in a field and all blocks in a list it frees).
                    if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Add" or "Push" or "Enqueue" or "Insert" } add } addCall
                        && addCall.ArgumentList.Arguments.Count > 0 && Names(addCall.ArgumentList.Arguments[addCall.ArgumentList.Arguments.Count - 1].Expression, holder.Name)
                        && CollectionName(add.Expression) is { } collection && ReleasesEachElement(type, collection, owner))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// True when the type of the array or collection field <paramref name="field"/> releases every element of it
        /// with one of <paramref name="owner"/>'s release names (<c>foreach (var b in buffers) b.Dispose();</c>, or
        /// <c>buffers[n].Dispose()</c> in a <c>for</c>). By syntax over the type's declarations.
        /// </summary>
        internal bool ElementsReleased(IFieldSymbol field, PinOwner owner)
            => _elementsReleased.GetOrAdd((field, owner.Type), key => ReleasesEachElement(key.Field.ContainingType, key.Field.Name, owner));

        private readonly ConcurrentDictionary<(IFieldSymbol Field, INamedTypeSymbol Owner), bool> _elementsReleased = new();

        private static string? CollectionName(ExpressionSyntax expression)
            => expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } member => member.Name.Identifier.ValueText,
                _ => null,
            };

        /// <summary>
        /// The type releases every element of its collection field <paramref name="collection"/>: <c>foreach (var b in
        /// _blocks) b.Free();</c> or <c>for (…) _blocks[i].Free();</c> with one of the owner's release names (by syntax).
        /// </summary>
        private static bool ReleasesEachElement(INamedTypeSymbol type, string collection, PinOwner owner)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    switch (node)
                    {
                        case ForEachStatementSyntax loop when CollectionName(loop.Expression) == collection:
                            foreach (var inner in loop.Statement.DescendantNodesAndSelf())
                            {
                                if (inner is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax element } call }
                                    && element.Identifier.ValueText == loop.Identifier.ValueText && owner.ReleaseNames.Contains(call.Name.Identifier.ValueText))
                                {
                                    return true;
                                }

                                // buffer?.Dispose()
                                if (inner is ConditionalAccessExpressionSyntax { Expression: IdentifierNameSyntax guarded, WhenNotNull: InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding } }
                                    && guarded.Identifier.ValueText == loop.Identifier.ValueText && owner.ReleaseNames.Contains(binding.Name.Identifier.ValueText))
                                {
                                    return true;
                                }
                            }

                            break;
                        case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: ElementAccessExpressionSyntax indexed } call }
                            when CollectionName(indexed.Expression) == collection && owner.ReleaseNames.Contains(call.Name.Identifier.ValueText)
                                && node.FirstAncestorOrSelf<ForStatementSyntax>() is not null:
                            return true;
                        case ConditionalAccessExpressionSyntax { Expression: ElementAccessExpressionSyntax guardedIndexed, WhenNotNull: InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding } }
                            when CollectionName(guardedIndexed.Expression) == collection && owner.ReleaseNames.Contains(binding.Name.Identifier.ValueText)
                                && node.FirstAncestorOrSelf<ForStatementSyntax>() is not null:
                            return true;
                    }
                }
            }

            return false;
        }

        private static bool Names(ExpressionSyntax expression, string name)
        {
            while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            {
                expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
            }

            return PinnedObjectHeapSyntax.Names(expression, name);
        }
    }
}
