using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// The path-sensitive half of the engine: on the function's control-flow graph, looks for a path from
    /// the pin to the function's exit on which the pin is not released — normal paths (early returns,
    /// branches), the next loop iteration pinning again, and exceptional paths (a call that may throw, or
    /// a throw, with no enclosing try/finally that releases on all of its own paths).
    /// </summary>
    /// <remarks>
    /// Which calls may throw is fixed by DESIGN.md: every call and property access except the pin's own
    /// members, P/Invoke methods, and members that do not throw (lengths, pointer and IntPtr arithmetic).
    /// A branch on <c>h.IsAllocated</c> is a guard: on its false side there is no pin to release.
    /// </remarks>
    internal sealed class ReleasePaths
    {
        private readonly PinSite _site;
        private readonly PinApis _apis;
        private readonly ControlFlowGraph _graph;
        private readonly HashSet<ISymbol> _holders;
        private readonly HashSet<ISymbol> _tokens;
        private readonly HashSet<SyntaxNode> _transfers;
        private readonly CancellationToken _cancellationToken;
        private readonly Dictionary<CaptureId, IOperation> _captures = new();
        private readonly Dictionary<IOperation, Effect> _effects = new();
        private readonly Dictionary<ILocalSymbol, bool> _companions = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ControlFlowRegion, bool> _finallyReleases = new();
        private readonly ThrowSummaries _throws;
        private bool? _inTestMethod;

        private ReleasePaths(PinSite site, PinApis apis, ControlFlowGraph graph, HashSet<ISymbol> holders, HashSet<ISymbol> tokens, HashSet<SyntaxNode> transfers, CancellationToken cancellationToken)
        {
            _transfers = transfers;
            _site = site;
            _apis = apis;
            _graph = graph;
            _holders = holders;
            _tokens = tokens;
            _cancellationToken = cancellationToken;
            _throws = ThrowSummaries.For(apis.Compilation);
        }

        internal PinLeakKind Leak { get; private set; }

        internal IOperation? LeakingOperation { get; private set; }

        internal string? LeakingMember { get; private set; }

        /// <summary>True when a release of the pin was met on some path.</summary>
        internal bool SawRelease { get; private set; }

        /// <summary>True when the graph operation <paramref name="operation"/> releases the pin (for <see cref="CompletionPaths"/>).</summary>
        internal bool Releases(IOperation operation) => _graph is not null && EffectOf(operation).Releases;

        /// <summary>True when the graph operation <paramref name="operation"/> makes the pin again (for <see cref="CompletionPaths"/>).</summary>
        internal bool Pins(IOperation operation) => _graph is not null && EffectOf(operation).PinsHere;

        /// <param name="transfers">Hand-overs to a container released element-wise in a covering finally (<see cref="ContainerRelease"/>): releases.</param>
        internal static ReleasePaths Analyze(PinSite site, FunctionFlow function, PinApis apis, HashSet<ISymbol> holders, HashSet<ISymbol> tokens, HashSet<SyntaxNode> transfers, CancellationToken cancellationToken)
        {
            var graph = function.Graph;
            if (graph is null)
            {
                // No graph (broken code Roslyn cannot lower): claim nothing.
                return new ReleasePaths(site, apis, null!, holders, tokens, transfers, cancellationToken);
            }

            var paths = new ReleasePaths(site, apis, graph, holders, tokens, transfers, cancellationToken);
            paths.Run();
            return paths;
        }

        private void Run()
        {
            foreach (var block in _graph.Blocks)
            {
                foreach (var operation in block.Operations)
                {
                    RecordCaptures(operation);
                }

                if (block.BranchValue is { } branchValue)
                {
                    RecordCaptures(branchValue);
                }
            }

            foreach (var block in _graph.Blocks)
            {
                for (var i = 0; i < block.Operations.Length; i++)
                {
                    if (EffectOf(block.Operations[i]).PinsHere)
                    {
                        if (EffectOf(block.Operations[i]).Releases && !EffectOf(block.Operations[i]).Transfers)
                        {
                            // GCHandle.Alloc(instance, GCHandleType.Pinned).Free(): released by the statement that pins
                            // (Raylib-cs's blittability probe).
                            SawRelease = true;
                            return;
                        }

                        if (EffectOf(block.Operations[i]).Transfers)
                        {
                            // list.Add(GCHandle.Alloc(...)) into a container released in a covering finally.
                            SawRelease = true;
                            return;
                        }

                        var search = new Search(this, bounds: null, followExceptions: true);
                        search.Explore(block, i + 1, fromPin: true);
                        return;
                    }
                }

                if (block.BranchValue is { } value && EffectOf(value).PinsHere)
                {
                    var search = new Search(this, bounds: null, followExceptions: true);
                    search.FollowSuccessors(block, fromPin: true);
                    return;
                }
            }
        }

        private void RecordCaptures(IOperation operation)
        {
            if (operation is IFlowCaptureOperation capture)
            {
                _captures[capture.Id] = capture.Value;
            }

            foreach (var descendant in operation.Descendants())
            {
                if (descendant is IFlowCaptureOperation nested)
                {
                    _captures[nested.Id] = nested.Value;
                }
            }
        }

        private void RecordNormalLeak(PinLeakKind kind)
        {
            // Normal-path leaks win over exceptional ones: they happen without anything going wrong; and
            // pinning again in a loop says more than reaching the end.
            if (Leak is PinLeakKind.None or PinLeakKind.ThrowingCall or PinLeakKind.ExplicitThrow
                || (Leak == PinLeakKind.NormalPath && kind == PinLeakKind.PinnedAgain))
            {
                Leak = kind;
                LeakingOperation = null;
                LeakingMember = null;
            }
        }

        private void RecordExceptionLeak(PinLeakKind kind, IOperation operation, string? member)
        {
            if (Leak == PinLeakKind.None && !(_inTestMethod ??= TestMethods.Contains(_site.Operation)))
            {
                Leak = kind;
                LeakingOperation = operation;
                LeakingMember = member;
            }
        }

        /// <summary>What one operation of a block does to the pin, computed once.</summary>
        private readonly struct Effect
        {
            internal Effect(bool pinsHere, bool releases, IOperation? throwing, string? throwingMember, bool transfers = false)
            {
                Transfers = transfers;
                PinsHere = pinsHere;
                Releases = releases;
                Throwing = throwing;
                ThrowingMember = throwingMember;
            }

            internal bool PinsHere { get; }

            internal bool Releases { get; }

            /// <summary>The release is a hand-over to a container that releases it (<see cref="ContainerRelease"/>).</summary>
            internal bool Transfers { get; }

            internal IOperation? Throwing { get; }

            internal string? ThrowingMember { get; }
        }

        private Effect EffectOf(IOperation operation)
        {
            if (_effects.TryGetValue(operation, out var known))
            {
                return known;
            }

            var pins = false;
            var releases = false;
            var transfers = false;
            IOperation? throwing = null;
            string? member = null;
            foreach (var current in SelfAndDescendantsOutsideConditionalCalls(operation))
            {
                if (IsPinSite(current))
                {
                    pins = true;
                }
                else if (current is IInvocationOperation invocation && IsRelease(invocation))
                {
                    releases = true;
                }
                else if (_transfers.Count > 0 && current is IInvocationOperation or ISimpleAssignmentOperation or IObjectCreationOperation && _transfers.Contains(current.Syntax))
                {
                    releases = true;
                    transfers = true;
                }
                else if (throwing is null && MayThrow(current) is { } name)
                {
                    throwing = current;
                    member = name;
                }
            }

            var effect = new Effect(pins, releases, throwing, member, transfers);
            _effects[operation] = effect;
            return effect;
        }

        /// <remarks>
        /// By syntax, since the graph's operations are copies of the tree's; and by method, since <c>using (m.Pin())</c>
        /// lowers to a <c>Dispose()</c> call whose syntax is the pin call's.
        /// </remarks>
        private bool IsPinSite(IOperation operation)
            => operation.Kind == _site.Operation.Kind && ReferenceEquals(operation.Syntax, _site.Syntax)
                && (operation is not IInvocationOperation invocation || _site.Operation is not IInvocationOperation pin
                    || SymbolEqualityComparer.Default.Equals(invocation.TargetMethod, pin.TargetMethod));

        private bool IsRelease(IInvocationOperation invocation)
        {
            var isRelease = _site.Kind == PinKind.Owner
                ? _site.Owner?.IsRelease(invocation.TargetMethod) == true
                : _apis.IsRelease(_site.Kind, invocation.TargetMethod);
            return isRelease && RefersToPin(invocation.Instance, token: false);
        }

        /// <summary>True when <paramref name="operation"/> is the pin: a holder, the site itself, or <c>FromIntPtr</c> of a token.</summary>
        private bool RefersToPin(IOperation? operation, bool token)
        {
            for (var depth = 0; depth < 8; depth++)
            {
                operation = operation.WalkDownConversions();
                switch (operation)
                {
                    case null:
                        return false;
                    case { } pin when !token && IsPinSite(pin):
                        // The pin expression itself: GCHandle.Alloc(x, GCHandleType.Pinned).Free().
                        return true;
                    case IFlowCaptureReferenceOperation reference:
                        if (!_captures.TryGetValue(reference.Id, out operation))
                        {
                            return false;
                        }

                        continue;
                    case ILocalReferenceOperation local:
                        return (token ? _tokens : _holders).Contains(local.Local);
                    case IParameterReferenceOperation parameter:
                        return (token ? _tokens : _holders).Contains(parameter.Parameter);
                    case IFieldReferenceOperation field:
                        return field.Instance is null or IInstanceReferenceOperation && (token ? _tokens : _holders).Contains(field.Field);
                    case IPropertyReferenceOperation { Property.Name: "SafeMemoryMappedViewHandle", Instance: { } view } when _site.Kind == PinKind.ViewPointer:
                        // accessor.SafeMemoryMappedViewHandle.ReleasePointer(): the view stands for its handle.
                        operation = view;
                        continue;
                    case IPropertyReferenceOperation { Property.Name: "Value", Instance: { } nullable } when nullable.Type?.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T:
                        // h.Value.Free() of a GCHandle? holder; h?.Free() lowers to h.GetValueOrDefault().Free().
                        operation = nullable;
                        continue;
                    case IInvocationOperation { TargetMethod.Name: "GetValueOrDefault", Arguments.Length: 0, Instance: { } nullable } when nullable.Type?.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T:
                        operation = nullable;
                        continue;
                    case IInvocationOperation { TargetMethod.Name: "FromIntPtr", Arguments.Length: 1 } fromIntPtr when !token:
                        return RefersToPin(fromIntPtr.Arguments[0].Value, token: true);
                    default:
                        return IsPinSite(operation);
                }
            }

            return false;
        }

        /// <summary>The member name when <paramref name="operation"/> may throw by DESIGN.md's rule; otherwise null.</summary>
        private string? MayThrow(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    {
                        var method = invocation.TargetMethod;
                        if (method.IsExtern || IsNonThrowingType(method.ContainingType) || HasLibraryImport(method)
                            || (invocation.IsImplicit && IsBuiltInForEach(method.ContainingType)) || IsLayoutQuery(invocation))
                        {
                            return null;
                        }

                        if (NullableReads.CannotThrow(method, invocation.Instance, invocation.Syntax))
                        {
                            return null;
                        }

                        if (IsConditional(method) || IsWideningPrimitiveCast(method) || IsWholeArrayView(invocation)
                            || InRangeCopies.CannotThrow(invocation, handle => RefersToPin(handle, token: false), _site.Target, _apis.Compilation))
                        {
                            // Debug.Assert and other [Conditional] calls: a failed assertion ends the process, it does not
                            // unwind past the pin. MemoryMarshal.Cast<byte, float> between primitives that do not shrink
                            // cannot throw, nor can Marshal.Copy between a fresh local array and the pin's own address.
                            return null;
                        }

                        if (method is { Name: "Dispose", Parameters.IsEmpty: true, IsStatic: false, ReturnsVoid: true })
                        {
                            // Releasing something else on the way (Garnet's `ptrHandle.Dispose(); output.Memory.Dispose();`
                            // before keeping the new pin): Dispose must not throw (the .NET design guidelines, CA1065), and
                            // one that does has a bigger bug than the pin it would leak.
                            return null;
                        }

                        if (method.MethodKind != MethodKind.DelegateInvoke && _throws.CannotThrow(method))
                        {
                            return null;
                        }

                        if (method.MethodKind == MethodKind.DelegateInvoke && IsNativeDelegate(invocation.Instance))
                        {
                            // A readonly delegate field bound to a P/Invoke is the P/Invoke (NativeDelegates).
                            return null;
                        }

                        return method.MethodKind == MethodKind.DelegateInvoke ? DescribeDelegate(invocation) : method.Name;
                    }

                case IObjectCreationOperation creation:
                    return creation.Constructor is null || IsNonThrowingType(creation.Type) || creation.Constructor.IsImplicitlyDeclared
                        ? null
                        : creation.Type?.Name;

                case IPropertyReferenceOperation property:
                    {
                        var containing = property.Property.ContainingType;
                        if (property.IsImplicit && IsBuiltInForEach(containing))
                        {
                            return null;
                        }

                        if (NullableReads.CannotThrow(property.Property, property.Instance, property.Syntax))
                        {
                            return null;
                        }

                        if (_site.Kind == PinKind.ViewPointer && property.Property.Name is "SafeMemoryMappedViewHandle" or "PointerOffset" or "ByteLength")
                        {
                            // The mapped view's own members, read on a view whose pointer is acquired.
                            return null;
                        }

                        if (IsNonThrowingType(containing) || (property.Property.Name is "Length" or "LongLength" && IsLengthOwner(containing))
                            || LoopBoundedIndex(property))
                        {
                            return null;
                        }

                        if (AccessorsCannotThrow(property))
                        {
                            return null;
                        }

                        return property.Property.Name;
                    }

                case IDynamicInvocationOperation or IDynamicMemberReferenceOperation or IDynamicObjectCreationOperation:
                    return "dynamic call";

                default:
                    return null;
            }
        }

        /// <summary>True when the invoked delegate is a readonly field bound to a P/Invoke (<see cref="NativeDelegates"/>).</summary>
        private bool IsNativeDelegate(IOperation? instance)
        {
            for (var depth = 0; depth < 8; depth++)
            {
                instance = instance.WalkDownConversions();
                if (instance is IFlowCaptureReferenceOperation reference && _captures.TryGetValue(reference.Id, out var captured))
                {
                    instance = captured;
                    continue;
                }

                return instance is IFieldReferenceOperation field && NativeDelegates.For(_apis.Compilation).IsNative(field.Field);
            }

            return false;
        }

        /// <summary>The accessors this reference runs (get, set, or both for <c>+=</c>) are source members that cannot throw.</summary>
        private bool AccessorsCannotThrow(IPropertyReferenceOperation property)
        {
            var symbol = property.Property;
            switch (property.Parent)
            {
                case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, property):
                    return _throws.CannotThrow(symbol.SetMethod);
                case ICompoundAssignmentOperation or IIncrementOrDecrementOperation or ICoalesceAssignmentOperation:
                    return _throws.CannotThrow(symbol.GetMethod) && _throws.CannotThrow(symbol.SetMethod);
                default:
                    return _throws.CannotThrow(symbol.GetMethod);
            }
        }

        /// <summary>
        /// <c>Marshal.SizeOf&lt;T&gt;()</c> and <c>Marshal.SizeOf(typeof(T))</c>: a layout query on a type, which fails only
        /// for a type that cannot be marshalled — and then the pinning <c>Alloc</c> before it has already failed
        /// (DESIGN.md, members that do not throw). <c>Marshal.SizeOf(object)</c> on a null instance can throw: not this.
        /// </summary>
        /// <summary><c>array.AsSpan()</c> / <c>AsMemory()</c> of a value-type array: no range to check, no covariance to fail.</summary>
        private static bool IsWholeArrayView(IInvocationOperation invocation)
            => invocation.TargetMethod is { Name: "AsSpan" or "AsMemory", IsExtensionMethod: true, ContainingType: { Name: "MemoryExtensions", ContainingNamespace.Name: "System" } } method
                && (method.Parameters.Length == 1 || (method.ReducedFrom is not null && method.Parameters.IsEmpty))
                && invocation.Arguments.Length == 1
                && invocation.Arguments[0].Value.WalkDownConversions()?.Type is IArrayTypeSymbol { Rank: 1, ElementType.IsValueType: true };

        /// <summary>
        /// The operation and its descendants, but not the arguments of a <c>[Conditional]</c> call: <c>Debug.Assert(…)</c> and
        /// what it evaluates are gone from a build without the symbol, and a failed assertion ends the process.
        /// </summary>
        private static IEnumerable<IOperation> SelfAndDescendantsOutsideConditionalCalls(IOperation operation)
        {
            var stack = new Stack<IOperation>();
            stack.Push(operation);
            while (stack.Count > 0)
            {
                var current = stack.Pop();
                yield return current;
                if (current is IInvocationOperation invocation && IsConditional(invocation.TargetMethod))
                {
                    continue;
                }

                // Pushed last to first, so that they come out in source order, as SelfAndDescendants gives them.
                var children = new List<IOperation>(current.ChildOperations);
                for (var i = children.Count - 1; i >= 0; i--)
                {
                    stack.Push(children[i]);
                }
            }
        }

        private static bool IsConditional(IMethodSymbol method)
        {
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "ConditionalAttribute", ContainingNamespace.Name: "Diagnostics" })
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>MemoryMarshal.Cast&lt;TFrom, TTo&gt;</c> between primitive types, <c>TTo</c> no smaller than <c>TFrom</c>.</summary>
        private static bool IsWideningPrimitiveCast(IMethodSymbol method)
            => method is { Name: "Cast", IsStatic: true, TypeArguments.Length: 2, ContainingType: { Name: "MemoryMarshal", ContainingNamespace.Name: "InteropServices" } }
                && SizeOfPrimitive(method.TypeArguments[0]) is { } from && SizeOfPrimitive(method.TypeArguments[1]) is { } to && to >= from;

        private static int? SizeOfPrimitive(ITypeSymbol type)
            => type.SpecialType switch
            {
                SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Boolean => 1,
                SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Char => 2,
                SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Single => 4,
                SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Double => 8,
                _ => null,
            };

        /// <summary>
        /// <c>span[i]</c> inside <c>for (var i = 0; i &lt; span.Length; i++)</c> (or <c>i &lt; n</c> with <c>var n = span.Length;</c>),
        /// neither the index, the span nor the bound assigned in the loop: the index is in range, as the JIT proves when it
        /// drops the bounds check (Garnet's vector conversions between the pin and its hand-over). By syntax: the graph's
        /// operations have no loop parents.
        /// </summary>
        private static bool LoopBoundedIndex(IPropertyReferenceOperation property)
        {
            if (!property.Property.IsIndexer || property.Arguments.Length != 1
                || property.Instance.WalkDownConversions() is not (ILocalReferenceOperation or IParameterReferenceOperation)
                || property.Property.ContainingType?.OriginalDefinition is not { Name: "Span" or "ReadOnlySpan", ContainingNamespace.Name: "System" }
                || property.Syntax is not ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: var span }, ArgumentList.Arguments: { Count: 1 } arguments }
                || arguments[0].Expression is not IdentifierNameSyntax { Identifier.ValueText: var index })
            {
                return false;
            }

            for (var node = property.Syntax.Parent; node is not null and not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax); node = node.Parent)
            {
                if (node is ForStatementSyntax loop && CountsUpFromZero(loop, index)
                    && loop.Condition is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LessThanExpression, Left: IdentifierNameSyntax counter, Right: var bound }
                    && counter.Identifier.ValueText == index
                    && IsLengthOf(bound, span, loop)
                    && !SourceSearch.Writes(loop.Statement, index) && !SourceSearch.Writes(loop.Statement, span))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool CountsUpFromZero(ForStatementSyntax loop, string index)
            => loop.Declaration is { Variables: { Count: 1 } variables } && variables[0].Identifier.ValueText == index
                && variables[0].Initializer?.Value is LiteralExpressionSyntax { Token.Value: 0 }
                && loop.Incrementors.Count == 1
                && loop.Incrementors[0] is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression, Operand: IdentifierNameSyntax post } && post.Identifier.ValueText == index;

        /// <summary>
        /// <c>span.Length</c>; a local initialized to it and never assigned again; or <c>rows.Length</c> when the span was
        /// declared <c>stackalloc T[rows.Length]</c> / <c>new T[rows.Length]</c> and neither it nor <c>rows</c> is assigned
        /// again (OpenTK's <c>Span&lt;GCHandle&gt; handles = stackalloc GCHandle[images.Length]; for (…; i &lt; images.Length; …)</c>).
        /// </summary>
        private static bool IsLengthOf(ExpressionSyntax bound, string span, ForStatementSyntax loop)
        {
            switch (bound)
            {
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length", Expression: IdentifierNameSyntax owner } when owner.Identifier.ValueText == span:
                    return true;
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length", Expression: IdentifierNameSyntax owner }:
                    var type = SourceSearch.SingleInitializer(loop, span) switch
                    {
                        StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax stackType } => stackType,
                        ArrayCreationExpressionSyntax { Type: var arrayType } => arrayType,
                        _ => null,
                    };

                    return type is { RankSpecifiers: { Count: 1 } ranks } && ranks[0].Sizes.Count == 1
                        && SyntaxFactory.AreEquivalent(ranks[0].Sizes[0], bound)
                        && loop.FirstAncestorOrSelf<MemberDeclarationSyntax>() is { } member && !SourceSearch.Writes(member, owner.Identifier.ValueText);
                case IdentifierNameSyntax { Identifier.ValueText: var length }:
                    return SourceSearch.SingleInitializer(loop, length) is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length", Expression: IdentifierNameSyntax lengthOf }
                        && lengthOf.Identifier.ValueText == span;
                default:
                    return false;
            }
        }

        private static bool IsLayoutQuery(IInvocationOperation invocation)
            => invocation.TargetMethod is { Name: "SizeOf", ContainingType: { Name: "Marshal", ContainingNamespace: { Name: "InteropServices", ContainingNamespace: { Name: "Runtime", ContainingNamespace.Name: "System" } } } }
                && (invocation.Arguments.Length == 0 || invocation.Arguments[0].Value.WalkDownConversions() is ITypeOfOperation);

        private static string DescribeDelegate(IInvocationOperation invocation)
            => invocation.Instance.ReferencedSymbol()?.Name ?? "Invoke";

        private static bool HasLibraryImport(IMethodSymbol method)
        {
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass?.Name is "LibraryImportAttribute" or "DllImportAttribute")
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Types whose members the design counts as not throwing: the pin's own, and address arithmetic.</summary>
        private bool IsNonThrowingType(ITypeSymbol? type)
        {
            if (type is null)
            {
                return false;
            }

            if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr || _apis.IsHandleType(type) || _apis.IsMemoryHandle(type)
                || _apis.IsLease(type) || _apis.IsLeaseScope(type) || _site.Owner?.IsOwnType(type) == true)
            {
                return true;
            }

            var definition = type.OriginalDefinition;
            return SymbolEqualityComparer.Default.Equals(definition, _apis.GCHandleExtensions)
                || SymbolEqualityComparer.Default.Equals(definition, _apis.Unsafe);
        }

        /// <summary>
        /// The enumerator calls that the graph shows for <c>foreach</c> over an array (lowered through the non-generic
        /// <c>IEnumerable</c>), a string or a span: the compiler emits none of them, so none can throw.
        /// </summary>
        private bool IsBuiltInForEach(ITypeSymbol? type)
        {
            if (type is null)
            {
                return false;
            }

            var definition = type.OriginalDefinition;
            var container = definition.ContainingType?.OriginalDefinition;
            return definition.SpecialType is SpecialType.System_Collections_IEnumerable or SpecialType.System_Collections_IEnumerator or SpecialType.System_String
                || (definition is { Name: "CharEnumerator", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
                || SymbolEqualityComparer.Default.Equals(definition, _apis.Span)
                || SymbolEqualityComparer.Default.Equals(definition, _apis.ReadOnlySpan)
                || SymbolEqualityComparer.Default.Equals(container, _apis.Span)
                || SymbolEqualityComparer.Default.Equals(container, _apis.ReadOnlySpan);
        }

        private bool IsLengthOwner(ITypeSymbol? type)
        {
            if (type is null)
            {
                return false;
            }

            var definition = type.OriginalDefinition;
            return type.SpecialType is SpecialType.System_Array or SpecialType.System_String
                || SymbolEqualityComparer.Default.Equals(definition, _apis.Span)
                || SymbolEqualityComparer.Default.Equals(definition, _apis.ReadOnlySpan)
                || SymbolEqualityComparer.Default.Equals(definition, _apis.Memory)
                || SymbolEqualityComparer.Default.Equals(definition, _apis.ReadOnlyMemory);
        }

        /// <summary>
        /// For a branch on the pin's <c>IsAllocated</c>: the branch value that means "allocated". Null when the
        /// branch is not such a guard.
        /// </summary>
        internal bool? AllocatedWhen(IOperation? branchValue)
        {
            var polarity = true;
            var current = branchValue.WalkDownConversions();
            while (current is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                polarity = !polarity;
                current = not.Operand.WalkDownConversions();
            }

            switch (current)
            {
                case IPropertyReferenceOperation { Property.Name: "IsAllocated" } property when RefersToPin(property.Instance, token: false):
                    return polarity;

                case IPropertyReferenceOperation { Property.Name: "HasValue", Instance: { } nullable } hasValue
                    when nullable.Type?.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T && RefersToPin(nullable, token: false):
                    // if (h.HasValue) h.Value.Free(); of a GCHandle? holder.
                    return polarity;

                case IInvocationOperation { Type.SpecialType: SpecialType.System_Boolean } when IsPinSite(current):
                    // if (PinLease<T>.TryAcquire(..., out var lease)): only the true side holds a pin.
                    return polarity;

                case IIsNullOperation isNull when RefersToPin(isNull.Operand, token: false):
                    // using on a class, or ?.: the null side has nothing to release.
                    return !polarity;

                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison
                    when (IsNullConstant(comparison.RightOperand) && RefersToPinOrCompanion(comparison.LeftOperand))
                      || (IsNullConstant(comparison.LeftOperand) && RefersToPinOrCompanion(comparison.RightOperand)):
                    return comparison.OperatorKind == BinaryOperatorKind.NotEquals ? polarity : !polarity;

                case IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var constant } } pattern
                    when IsNullConstant(constant) && RefersToPin(pattern.Value, token: false):
                    return !polarity;

                case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation { Value: var negated } } } notPattern
                    when IsNullConstant(negated) && RefersToPin(notPattern.Value, token: false):
                    return polarity;

                default:
                    return null;
            }
        }

        private bool RefersToPinOrCompanion(IOperation operand)
            => RefersToPin(operand, token: false)
                || (operand.WalkDownConversions() is ILocalReferenceOperation { Local: var local } && !_holders.Contains(local) && IsCompanion(local));

        /// <summary>
        /// A local that is set exactly when the pin is made: declared null (or unassigned), and assigned only by the
        /// statement right before, or after, the one that pins, to a call's or creation's result — Garnet's
        /// <c>arr = ArrayPool&lt;byte&gt;.Shared.Rent(n); pin = GCHandle.Alloc(arr, …);</c>, freed under
        /// <c>if (arr != null) pin.Free();</c>. A test of it against null is a test of the pin.
        /// </summary>
        private bool IsCompanion(ILocalSymbol local)
        {
            if (_companions.TryGetValue(local, out var known))
            {
                return known;
            }

            var companion = ComputeCompanion(local);
            _companions[local] = companion;
            return companion;
        }

        private bool ComputeCompanion(ILocalSymbol local)
        {
            if (local.Type?.IsReferenceType != true || local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax declarator
                || (declarator.Initializer is { Value: var initial } && !initial.IsKind(SyntaxKind.NullLiteralExpression) && !initial.IsKind(SyntaxKind.DefaultLiteralExpression)))
            {
                return false;
            }

            StatementSyntax? pinStatement = null;
            for (var node = _site.Syntax.Parent; node is not null; node = node.Parent)
            {
                if (node is StatementSyntax statement && statement.Parent is BlockSyntax)
                {
                    pinStatement = statement;
                    break;
                }
            }

            if (pinStatement?.Parent is not BlockSyntax block || declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
            {
                return false;
            }

            var index = block.Statements.IndexOf(pinStatement);
            var assigned = false;
            foreach (var node in member.DescendantNodes())
            {
                var target = node switch
                {
                    AssignmentExpressionSyntax assignment => assignment.Left,
                    ArgumentSyntax { RefKindKeyword.RawKind: not 0 } byRef => byRef.Expression,
                    _ => null,
                };

                if (target is not IdentifierNameSyntax { Identifier.ValueText: var name } || name != local.Name)
                {
                    continue;
                }

                if (node is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax } store
                    || store.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax storeBlock } storeStatement
                    || storeBlock != block || System.Math.Abs(block.Statements.IndexOf(storeStatement) - index) != 1)
                {
                    return false;
                }

                assigned = true;
            }

            return assigned;
        }

        private static bool IsNullConstant(IOperation? operation)
            => operation.WalkDownConversions() is { ConstantValue: { HasValue: true, Value: null } };


        /// <summary>True when <paramref name="region"/> is one of this graph's regions.</summary>
        private bool Belongs(ControlFlowRegion region)
        {
            if (region.LastBlockOrdinal >= _graph.Blocks.Length)
            {
                return false;
            }

            for (var current = _graph.Blocks[region.FirstBlockOrdinal].EnclosingRegion; current is not null; current = current.EnclosingRegion)
            {
                if (ReferenceEquals(current, region))
                {
                    return true;
                }

                if (ReferenceEquals(current, _graph.Root))
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>True when every path through the finally region releases the pin.</summary>
        private bool FinallyReleases(ControlFlowRegion region)
        {
            if (_finallyReleases.TryGetValue(region, out var known))
            {
                return known;
            }

            if (!Belongs(region))
            {
                // Not a region of this graph: nothing to judge here, and nothing to report from it.
                return true;
            }

            _finallyReleases[region] = false; // a re-entrant question (finally inside itself) answers no
            var search = new Search(this, region, followExceptions: false);
            search.Explore(_graph.Blocks[region.FirstBlockOrdinal], 0, fromPin: false);
            var releases = !search.FoundUnreleasedEnd;
            _finallyReleases[region] = releases;
            return releases;
        }

        /// <summary>One depth-first walk over the graph from a start point, stopping at releases.</summary>
        private sealed class Search
        {
            private readonly ReleasePaths _owner;
            private readonly ControlFlowRegion? _bounds;
            private readonly bool _followExceptions;
            private readonly HashSet<int> _visited = new();

            internal Search(ReleasePaths owner, ControlFlowRegion? bounds, bool followExceptions)
            {
                _owner = owner;
                _bounds = bounds;
                _followExceptions = followExceptions;
            }

            /// <summary>Within a finally region: a path reached the region's end without a release.</summary>
            internal bool FoundUnreleasedEnd { get; private set; }

            internal void Explore(BasicBlock block, int start, bool fromPin)
            {
                if (start == 0 && !_visited.Add(block.Ordinal))
                {
                    return;
                }

                _owner._cancellationToken.ThrowIfCancellationRequested();
                if (_bounds is not null && (block.Ordinal < _bounds.FirstBlockOrdinal || block.Ordinal > _bounds.LastBlockOrdinal))
                {
                    return;
                }

                if (block.Kind == BasicBlockKind.Exit)
                {
                    if (_bounds is null)
                    {
                        _owner.RecordNormalLeak(PinLeakKind.NormalPath);
                    }

                    return;
                }

                for (var i = start; i < block.Operations.Length; i++)
                {
                    var effect = _owner.EffectOf(block.Operations[i]);
                    if (effect.PinsHere && _bounds is null)
                    {
                        // Back at the pin with the previous one still held: the next iteration pins again.
                        _owner.RecordNormalLeak(PinLeakKind.PinnedAgain);
                        return;
                    }

                    if (effect.Releases)
                    {
                        _owner.SawRelease = true;
                        return;
                    }

                    if (_followExceptions && effect.Throwing is not null)
                    {
                        PropagateException(block.EnclosingRegion, PinLeakKind.ThrowingCall, effect.Throwing, effect.ThrowingMember);
                    }
                }

                FollowSuccessors(block, fromPin);
            }

            internal void FollowSuccessors(BasicBlock block, bool fromPin)
            {
                var branchValue = block.BranchValue;
                if (branchValue is not null)
                {
                    var effect = _owner.EffectOf(branchValue);
                    if (effect.Releases)
                    {
                        _owner.SawRelease = true;
                        return;
                    }

                    var fallThroughKind = block.FallThroughSuccessor?.Semantics;
                    if (fallThroughKind is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow)
                    {
                        if (_followExceptions)
                        {
                            PropagateException(block.EnclosingRegion, PinLeakKind.ExplicitThrow, branchValue, null);
                        }

                        return;
                    }

                    if (_followExceptions && effect.Throwing is not null)
                    {
                        PropagateException(block.EnclosingRegion, PinLeakKind.ThrowingCall, effect.Throwing, effect.ThrowingMember);
                    }
                }

                var allocatedWhen = block.ConditionKind == ControlFlowConditionKind.None ? null : _owner.AllocatedWhen(branchValue);
                if (block.ConditionalSuccessor is { } conditional)
                {
                    var takenWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
                    if (allocatedWhen is null || allocatedWhen == takenWhen)
                    {
                        Follow(block, conditional);
                    }
                }

                if (block.FallThroughSuccessor is { } fallThrough)
                {
                    var takenWhen = block.ConditionKind != ControlFlowConditionKind.WhenTrue;
                    if (allocatedWhen is null || block.ConditionKind == ControlFlowConditionKind.None || allocatedWhen == takenWhen)
                    {
                        Follow(block, fallThrough);
                    }
                }
            }

            private void Follow(BasicBlock from, ControlFlowBranch branch)
            {
                foreach (var region in branch.FinallyRegions)
                {
                    if (_bounds is null && _owner.FinallyReleases(region))
                    {
                        _owner.SawRelease = true;
                        return;
                    }
                }

                switch (branch.Semantics)
                {
                    case ControlFlowBranchSemantics.Regular:
                    case ControlFlowBranchSemantics.Return:
                        if (branch.Destination is { } destination)
                        {
                            Explore(destination, 0, fromPin: false);
                        }

                        return;

                    case ControlFlowBranchSemantics.StructuredExceptionHandling:
                        // End of a finally or filter. The main search never walks into a finally (finally
                        // regions are judged whole, on the branches that run them); in a finally check this
                        // path got through the region unreleased.
                        if (_bounds is not null)
                        {
                            FoundUnreleasedEnd = true;
                        }
                        else
                        {
                            // The pin itself was made in this finally (`try { } finally { h = GCHandle.Alloc(…); }`, the
                            // guard against asynchronous exceptions): the code after the try statement runs next.
                            ContinueAfterFinally(from.EnclosingRegion);
                        }

                        return;

                    case ControlFlowBranchSemantics.Throw:
                    case ControlFlowBranchSemantics.Rethrow:
                        if (_followExceptions)
                        {
                            PropagateException(from.EnclosingRegion, PinLeakKind.ExplicitThrow, from.BranchValue ?? _owner._site.Operation, null);
                        }

                        return;

                    default:
                        // ProgramTermination and Error: the process or the code ends here.
                        return;
                }
            }

            /// <summary>
            /// After the end of a finally region the main search entered (the pin was made inside it): every normal branch
            /// that runs the finally continues at its destination, through the finally regions it runs after this one.
            /// </summary>
            private void ContinueAfterFinally(ControlFlowRegion? region)
            {
                while (region is not null && region.Kind != ControlFlowRegionKind.Finally)
                {
                    region = region.EnclosingRegion;
                }

                if (region is null)
                {
                    return;
                }

                foreach (var block in _owner._graph.Blocks)
                {
                    foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                    {
                        if (branch is null || branch.Semantics is not (ControlFlowBranchSemantics.Regular or ControlFlowBranchSemantics.Return))
                        {
                            continue;
                        }

                        var index = branch.FinallyRegions.IndexOf(region);
                        if (index < 0)
                        {
                            continue;
                        }

                        var released = false;
                        for (var i = index + 1; i < branch.FinallyRegions.Length && !released; i++)
                        {
                            released = _owner.FinallyReleases(branch.FinallyRegions[i]);
                        }

                        if (released)
                        {
                            _owner.SawRelease = true;
                        }
                        else if (branch.Destination is { } destination)
                        {
                            Explore(destination, 0, fromPin: false);
                        }
                    }
                }
            }

            /// <summary>An exception raised inside <paramref name="region"/>: where does it go, and is the pin released on the way?</summary>
            private void PropagateException(ControlFlowRegion? region, PinLeakKind kind, IOperation operation, string? member)
            {
                // Only this graph's regions: a lambda's graph hangs below the regions of the function that declares
                // it, but an exception leaving the lambda is the lambda caller's business.
                for (var current = region; current is not null && !ReferenceEquals(current, _owner._graph.Root); current = current.EnclosingRegion)
                {
                    if (current.Kind != ControlFlowRegionKind.Try || current.EnclosingRegion is not { } handlers)
                    {
                        continue;
                    }

                    if (handlers.Kind == ControlFlowRegionKind.TryAndFinally)
                    {
                        var finallyRegion = handlers.NestedRegions[handlers.NestedRegions.Length - 1];
                        if (_owner.FinallyReleases(finallyRegion))
                        {
                            _owner.SawRelease = true;
                            return;
                        }
                    }
                    else if (handlers.Kind == ControlFlowRegionKind.TryAndCatch)
                    {
                        var catchesAll = false;
                        for (var i = 1; i < handlers.NestedRegions.Length; i++)
                        {
                            var handler = handlers.NestedRegions[i];
                            Explore(_owner._graph.Blocks[handler.FirstBlockOrdinal], 0, fromPin: false);
                            if (handler.Kind == ControlFlowRegionKind.Catch
                                && (handler.ExceptionType is null or { SpecialType: SpecialType.System_Object }
                                    || handler.ExceptionType.ToDisplayString() == "System.Exception"))
                            {
                                catchesAll = true;
                            }
                        }

                        if (catchesAll)
                        {
                            return;
                        }
                    }
                }

                _owner.RecordExceptionLeak(kind, operation, member);
            }
        }
    }
}
