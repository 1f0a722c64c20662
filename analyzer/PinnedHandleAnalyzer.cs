using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The handle family: PIN1001 (outlives the method), PIN1002 (not freed on every path), PIN1003 (pins
    /// accumulate in a loop), PIN1004 (pinning a boxed copy), PIN1005 (address of an unpinned handle), and
    /// PIN2002 for addresses of handle pins that end in the method. See docs/rules/PIN100x.md.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class PinnedHandleAnalyzer : PinAnalyzerBase
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN1001PinnedHandleOutlivesMethod,
            Descriptors.PIN1002PinnedHandleNotFreed,
            Descriptors.PIN1003PinsAccumulateInLoop,
            Descriptors.PIN1004PinnedValueTypeIsBoxedCopy,
            Descriptors.PIN1005AddressOfUnpinnedHandle,
            Descriptors.PIN2002PointerPassedToRetainingCall,
            Descriptors.PIN2004AddressOutlivesPin);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            var pinnedObjectHeap = new PinnedObjectHeap(apis);
            var options = new PinFlowOptions.Provider(context.Options.AnalyzerConfigOptionsProvider);
            var summaries = PinSummaries.For(apis);
            RegisterPinSites(
                context,
                apis,
                ImmutableArray.Create(PinSiteFinders.Handles, PinSiteFinders.HandleOwners),
                (blockContext, method, sites) =>
                {
                    foreach (var site in sites)
                    {
                        if (pinnedObjectHeap.Holds(site.Target, method) || (site.Kind == PinKind.Owner && pinnedObjectHeap.OwnerPinsPinnedMemory(site.Operation, method)))
                        {
                            // A boxed value is never on the Pinned Object Heap: PIN1004 loses nothing here.
                            continue;
                        }

                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        if (site.Kind == PinKind.GCHandle && BoxedValue(site) is { } boxedType && BoxedCopies.OriginalObservedAfter(site, site.Target!, method, fate.HandleHolders))
                        {
                            blockContext.ReportDiagnostic(Diagnostic.Create(
                                Descriptors.PIN1004PinnedValueTypeIsBoxedCopy,
                                site.Syntax.GetLocation(),
                                boxedType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
                        }

                        var verdicts = site.Kind == PinKind.Owner ? OwnerVerdicts(fate, summaries, HandleFamily) : Verdicts(fate, summaries);
                        foreach (var diagnostic in verdicts)
                        {
                            blockContext.ReportDiagnostic(diagnostic);
                        }
                    }
                });

            if (apis.GCHandleAddrOfPinnedObject is not null)
            {
                context.RegisterOperationAction(
                    operationContext => UnpinnedHandles.Analyze(operationContext, apis),
                    OperationKind.Invocation);
            }
        }

        /// <summary>
        /// At most one of PIN1001/PIN1002/PIN1003 per site: a pin kept past its loop iteration is PIN1003; else an
        /// escape is PIN1001; else a leak is PIN1002. A pin released on every path is only judged for PIN2002.
        /// </summary>
        private static IEnumerable<Diagnostic> Verdicts(PinFate fate, PinSummaries summaries)
        {
            var by = PinnedBy(fate.Site);
            if (fate.Release == PinRelease.AllPaths)
            {
                foreach (var sink in fate.Sinks)
                {
                    if (sink.Kind == PinSinkKind.RetainingCall && sink.IsAddress)
                    {
                        yield return RetainingCalls.Diagnose(sink);
                    }
                    else if (sink.IsAddress && IsDanglingEscape(sink) && !HandedOff(fate))
                    {
                        // PIN2004: the handle is freed here, the address it gave lives on.
                        yield return Diagnostic.Create(Descriptors.PIN2004AddressOutlivesPin, sink.Operation.Syntax.GetLocation(), sink.Description);
                    }
                }

                yield break;
            }

            if (HandedToCaller(fate, summaries))
            {
                // A factory: the caller owns the pin now, like the pin of an IPinnable.Pin implementation.
                yield break;
            }

            if (HeldForPinnable(fate))
            {
                yield break;
            }

            if (Flow.OwnershipTransfers.FixtureScoped(fate))
            {
                // A fixture's setup pin that its cleanup releases lives for the run, not the application.
                yield break;
            }

            var location = fate.Site.Syntax.GetLocation();
            if (KeptPastIteration(fate) is { } kept)
            {
                yield return Diagnostic.Create(Descriptors.PIN1003PinsAccumulateInLoop, location, kept + by);
                yield break;
            }

            if (FirstEscape(fate) is { } escape)
            {
                var what = escape.IsAddress ? "its address is " : "it is ";
                yield return Diagnostic.Create(Descriptors.PIN1001PinnedHandleOutlivesMethod, location, what + escape.Description + by);
                yield break;
            }

            yield return Diagnostic.Create(Descriptors.PIN1002PinnedHandleNotFreed, location, fate.DescribeLeak("freed") + by);
        }

        /// <summary>" (pinned by 'PinnedBuffer')" for a pin made by a helper of the compilation, else empty.</summary>
        internal static string PinnedBy(PinSite site) => site.Helper is { } helper ? $" (pinned by '{helper}')" : string.Empty;

        /// <summary>
        /// PIN2004's escapes: an address kept where it outlives the method (DESIGN.md, "Dangling addresses"). A capture
        /// counts only when the capturing function may run after the method returns; a retaining call stays PIN2002.
        /// </summary>
        private static bool IsDanglingEscape(PinSink sink)
            => sink.Kind switch
            {
                PinSinkKind.Field or PinSinkKind.Property or PinSinkKind.Return or PinSinkKind.Yield or PinSinkKind.OutOrRefParameter => true,
                PinSinkKind.ArrayElement or PinSinkKind.Collection => !IntoLocalContainer(sink.Operation),
                PinSinkKind.Capture => PinFlow.CaptureMayOutliveCall(sink.Operation),
                _ => false,
            };

        /// <summary>
        /// An address put into an array or list of this method's own — <c>submit(new[] { a.AddrOfPinnedObject() })</c>, a
        /// local <c>IntPtr[]</c> filled before the call — is used while the handle is held; only a container that leaves
        /// the method (a field, a parameter's) keeps it past the <c>Free</c>.
        /// </summary>
        private static bool IntoLocalContainer(IOperation operation)
        {
            switch (operation)
            {
                case IArrayInitializerOperation:
                    return true;
                case ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation element }:
                    return element.ArrayReference.WalkDownConversions() is ILocalReferenceOperation;
                case IArgumentOperation { Parent: IInvocationOperation { Instance: var instance } }:
                    return instance.WalkDownConversions() is ILocalReferenceOperation;
                default:
                    return false;
            }
        }

        private static readonly OwnerFamily HandleFamily = new(Descriptors.PIN1001PinnedHandleOutlivesMethod, Descriptors.PIN1002PinnedHandleNotFreed);

        /// <summary>The descriptors a pin owner reports with: the handle family, or the memory family for owners of a MemoryHandle.</summary>
        internal sealed class OwnerFamily
        {
            internal OwnerFamily(DiagnosticDescriptor outlives, DiagnosticDescriptor notReleased)
            {
                Outlives = outlives;
                NotReleased = notReleased;
            }

            internal DiagnosticDescriptor Outlives { get; }

            internal DiagnosticDescriptor NotReleased { get; }
        }

        /// <summary>
        /// A pin owner made here (<c>new PinnedBuffer(a)</c>, <c>a.Pin()</c>, a conversion): PIN1003 when owners pile up past
        /// their iteration; PIN1001 (PIN3001) only when an instance field or property of a type that never releases it keeps
        /// it — the owner's own pin already reports where it is made, and a static holder (a process-lifetime constant such
        /// as Veldrid's <c>CommonStrings</c>) adds nothing to that report; PIN1002 (PIN3002) when it is neither kept nor released on
        /// every path. Returned, captured, added to a collection outside a loop or handed to another object's constructor,
        /// the owner belongs to someone else: silent.
        /// </summary>
        internal static IEnumerable<Diagnostic> OwnerVerdicts(PinFate fate, PinSummaries summaries, OwnerFamily family)
        {
            var owner = fate.Site.Owner;
            if (owner is null || fate.Release == PinRelease.AllPaths)
            {
                yield break;
            }

            var by = PinnedBy(fate.Site);
            var location = fate.Site.Syntax.GetLocation();
            if (IntoReleasedSlots(fate, summaries, owner))
            {
                // buffers[n] = new WaveInBuffer(…) for each slot of an array field the type disposes element by element:
                // a set of device buffers as large as the array, held and released by the type. Each one's own pin is
                // reported where the owner makes it.
                yield break;
            }

            if (KeptPastIteration(fate) is { } kept)
            {
                yield return Diagnostic.Create(Descriptors.PIN1003PinsAccumulateInLoop, location, kept + by);
                yield break;
            }

            if (fate.Escapes)
            {
                foreach (var sink in fate.Sinks)
                {
                    if (!sink.IsAddress && HolderOf(sink) is { IsStatic: false } holder && !summaries.HolderReleases(holder, owner))
                    {
                        var kind = holder is IFieldSymbol ? "field" : "property";
                        var verb = owner.ReleaseVerb;
                        yield return Diagnostic.Create(
                            family.Outlives,
                            location,
                            $"it is stored in {kind} '{holder.Name}', which '{holder.ContainingType.Name}' never {(verb == "disposed" ? "disposes" : verb == "freed" ? "frees" : "closes")}{by}");
                        yield break;
                    }
                }

                yield break;
            }

            yield return Diagnostic.Create(family.NotReleased, location, fate.DescribeLeak(owner.ReleaseVerb) + by);
        }

        /// <summary>
        /// Every place the owner goes is a slot of an array field of this instance (<c>buffers[n] = owner</c>) whose elements
        /// the type releases (<see cref="PinSummaries.ElementsReleased"/>); a slot store replaces, it does not pile up.
        /// </summary>
        private static bool IntoReleasedSlots(PinFate fate, PinSummaries summaries, PinOwner owner)
        {
            if (fate.Sinks.IsDefaultOrEmpty)
            {
                return false;
            }

            foreach (var sink in fate.Sinks)
            {
                if (sink.IsAddress)
                {
                    continue;
                }

                if (sink.Operation is not ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation element }
                    || element.ArrayReference.WalkDownConversions() is not IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: { IsStatic: false, Type: IArrayTypeSymbol } field }
                    || !summaries.ElementsReleased(field, owner))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The field or property a sink stores the owner in, or null for other sinks.</summary>
        private static ISymbol? HolderOf(PinSink sink)
        {
            switch (sink.Operation)
            {
                case ISimpleAssignmentOperation { Target: IFieldReferenceOperation field }:
                    return field.Field;
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.IsIndexer: false } property }:
                    return property.Property;
                case ICoalesceAssignmentOperation { Target: IFieldReferenceOperation field }:
                    return field.Field;
                case IFieldInitializerOperation initializer when initializer.InitializedFields.Length == 1:
                    return initializer.InitializedFields[0];
                case IPropertyInitializerOperation initializer when initializer.InitializedProperties.Length == 1:
                    return initializer.InitializedProperties[0];
                default:
                    return null;
            }
        }

        /// <summary>
        /// The pin belongs to the caller now (DESIGN.md, factories): the handle is written to an <c>out</c> parameter, handed
        /// to the caller with its address, or returned by a method whose every return is a fresh pin — a factory whose
        /// callers are judged as pin sites; its address may go back with it or into the method's own arrays. (A hand-over to
        /// an aggregate the caller disposes is a release on its path instead: <see cref="PinSinkKind.Handoff"/>.)
        /// </summary>
        internal static bool HandedToCaller(PinFate fate, PinSummaries summaries)
        {
            if (fate.Sinks.IsDefaultOrEmpty)
            {
                return false;
            }

            var handle = false;
            foreach (var sink in fate.Sinks)
            {
                var toOut = (sink.Kind == PinSinkKind.OutOrRefParameter
                        && sink.Operation is ISimpleAssignmentOperation { Target: IParameterReferenceOperation { Parameter.RefKind: RefKind.Out } })
                    || IntoOutStruct(sink.Operation);
                if (sink.Kind == PinSinkKind.Handoff)
                {
                    // Judged as a release on its path (ReleasePaths): a path that misses it leaks.
                    return false;
                }

                if (!sink.IsAddress && (toOut || (sink.Kind == PinSinkKind.Return && ReturnedByFactory(sink.Operation, summaries))))
                {
                    handle = true;
                }
                else if (!(sink.IsAddress && (toOut || sink.Kind == PinSinkKind.Return
                    || (sink.Kind is PinSinkKind.ArrayElement or PinSinkKind.Collection && IntoLocalContainer(sink.Operation)))))
                {
                    return false;
                }
            }

            return handle && fate.Loop is null;
        }

        /// <summary>
        /// The handle a <c>MemoryManager&lt;T&gt;.Pin</c> / <c>IPinnable.Pin</c> implementation keeps in a field that the
        /// type frees (in <c>Unpin</c>): the <c>MemoryHandle</c> it returns, made with <c>pinnable: this</c>, calls
        /// <c>Unpin</c> when it is disposed, so the pin is the caller's, and the caller's <c>Pin()</c> is the site that is
        /// judged (PIN3001/PIN3002) — ImageSharp's <c>ManagedBufferBase&lt;T&gt;</c>.
        /// </summary>
        private static bool HeldForPinnable(PinFate fate)
        {
            var site = fate.Site;
            if (site.Operation.SemanticModel?.GetEnclosingSymbol(site.Syntax.SpanStart) is not IMethodSymbol { Name: "Pin", Parameters.Length: 1 } pin
                || pin.Parameters[0].Type.SpecialType != SpecialType.System_Int32 || pin.ContainingType is not { } type
                || !System.Linq.Enumerable.Any(type.AllInterfaces, i => i is { Name: "IPinnable", ContainingNamespace.Name: "Buffers" })
                || type.GetMembers("Unpin").IsEmpty || fate.Sinks.IsDefaultOrEmpty || fate.Loop is not null)
            {
                return false;
            }

            var held = false;
            foreach (var sink in fate.Sinks)
            {
                if (sink.Operation is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: var field } }
                    && sink.Kind == PinSinkKind.Field && SymbolEqualityComparer.Default.Equals(field.ContainingType, type))
                {
                    if (!sink.IsAddress)
                    {
                        if (!Flow.OwnershipTransfers.TypeReleases(type, field.Name, "Free"))
                        {
                            return false;
                        }

                        held = true;
                    }

                    continue;
                }

                if (!(sink.IsAddress && sink.Kind == PinSinkKind.Return))
                {
                    return false;
                }
            }

            return held;
        }

        /// <summary>The pin went to an aggregate the caller disposes: its address may go with it (no PIN2004).</summary>
        internal static bool HandedOff(PinFate fate)
        {
            foreach (var sink in fate.Sinks)
            {
                if (sink.Kind == PinSinkKind.Handoff)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The first sink through which the pin outlives the method; a hand-over to the caller's aggregate is not one.</summary>
        internal static PinSink? FirstEscape(PinFate fate)
        {
            var handedOff = HandedOff(fate);
            foreach (var sink in fate.Sinks)
            {
                // An address that goes along with a hand-over (new Owned(ref handle, handle.Pointer)) belongs to the new owner.
                if (sink.Kind != PinSinkKind.Handoff && !(handedOff && sink.IsAddress))
                {
                    return sink;
                }
            }

            return null;
        }

        /// <summary>
        /// A store into a field of a struct <c>out</c> parameter (<c>memory._handle = handle;</c> in K4os'
        /// <c>Rent(out PinnedMemory memory, …)</c>): the struct, and the pin in it, go to the caller.
        /// </summary>
        private static bool IntoOutStruct(IOperation operation)
        {
            if (operation is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation field })
            {
                return false;
            }

            IOperation? instance = field.Instance;
            while (instance is IFieldReferenceOperation { Type.IsValueType: true } outer)
            {
                instance = outer.Instance;
            }

            return instance is IParameterReferenceOperation { Parameter: { RefKind: RefKind.Out, Type.IsValueType: true } };
        }

        /// <summary>A <c>return</c> of the method itself (not of a lambda) whose every return is a fresh pin (<see cref="PinSummaries.ReturnOf"/>).</summary>
        private static bool ReturnedByFactory(IOperation returned, PinSummaries summaries)
        {
            for (var current = returned.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return false;
                }
            }

            return returned.SemanticModel?.GetEnclosingSymbol(returned.Syntax.SpanStart) is IMethodSymbol method && summaries.ReturnOf(method) is not null;
        }

        /// <summary>How a pin made in a loop body is kept past the iteration, or null when it is not (PIN1003, shared with <see cref="MemoryHandleAnalyzer"/>).</summary>
        internal static string? KeptPastIteration(PinFate fate)
        {
            if (fate.Loop is not { } loop || fate.LoopCountIsConstant)
            {
                // A loop with a constant trip count makes a fixed number of pins: judged like a pin outside a loop.
                return null;
            }

            foreach (var sink in fate.Sinks)
            {
                if (sink.Kind is PinSinkKind.Field or PinSinkKind.Property or PinSinkKind.ArrayElement or PinSinkKind.Collection)
                {
                    return (sink.IsAddress ? "its address " : string.Empty) + sink.Description;
                }
            }

            var body = loop.Body.Syntax.Span;
            foreach (var holder in fate.HandleHolders)
            {
                if (holder is ILocalSymbol local && local.DeclaringSyntaxReferences.Length > 0 && !body.Contains(local.DeclaringSyntaxReferences[0].Span))
                {
                    return $"held in '{local.Name}', declared outside the loop";
                }
            }

            return null;
        }

        /// <summary>The value type boxed by <c>GCHandle.Alloc(value, Pinned)</c>, or null for a reference.</summary>
        private static ITypeSymbol? BoxedValue(PinSite site)
        {
            if (site.Target is IConversionOperation { Operand.Type: { IsValueType: true } type } conversion && conversion.Type?.IsReferenceType == true)
            {
                return type;
            }

            return null;
        }
    }

    /// <summary>
    /// Recognises the handle pin sites: <c>GCHandle.Alloc(x, GCHandleType.Pinned)</c>, <c>new PinnedGCHandle&lt;T&gt;(x)</c>
    /// and <c>Memory&lt;T&gt;.Pin()</c> (judged by <see cref="MemoryHandleAnalyzer"/>; the code fixes find all three here).
    /// </summary>
    internal static class HandlePinSites
    {
        internal static PinSite? Find(IOperation operation, PinApis apis)
        {
            switch (operation)
            {
                case IInvocationOperation invocation when invocation.Arguments.Length == 2 && PinApis.IsAny(invocation.TargetMethod, apis.GCHandleAlloc):
                    {
                        IOperation? target = null;
                        var pinned = false;
                        foreach (var argument in invocation.Arguments)
                        {
                            if (argument.Parameter is null)
                            {
                                return null;
                            }

                            if (SymbolEqualityComparer.Default.Equals(argument.Parameter.Type, apis.GCHandleType))
                            {
                                // Only a constant Pinned is a pin we can judge; a variable handle type is not reported.
                                pinned = argument.Value.ConstantValue is { HasValue: true, Value: int value } && value == PinApis.GCHandleTypePinned;
                            }
                            else
                            {
                                target = argument.Value;
                            }
                        }

                        return pinned ? new PinSite(invocation, PinKind.GCHandle, target) : null;
                    }

                case IObjectCreationOperation creation when creation.Arguments.Length == 1 && apis.IsPinnedGCHandle(creation.Type):
                    return new PinSite(creation, PinKind.TypedHandle, creation.Arguments[0].Value);

                default:
                    return FindMemoryPin(operation, apis);
            }
        }

        /// <summary>
        /// <c>Memory&lt;T&gt;.Pin()</c>, <c>ReadOnlyMemory&lt;T&gt;.Pin()</c>, or <c>IPinnable.Pin(int)</c> and its implementations
        /// (<c>MemoryManager&lt;T&gt;.Pin</c>), bound by symbol: any other method called <c>Pin</c> is not a site.
        /// </summary>
        internal static PinSite? FindMemoryPin(IOperation operation, PinApis apis)
            => operation is IInvocationOperation { TargetMethod.Name: "Pin" } invocation && apis.IsMemoryPin(invocation.TargetMethod)
                ? new PinSite(invocation, PinKind.MemoryHandle, invocation.Instance)
                : null;
    }

    /// <summary>
    /// Whether a pinned object provably lives on the Pinned Object Heap (DESIGN.md): a
    /// <c>GC.AllocateArray(n, pinned: true)</c> itself, a local every assignment of which is one, or a
    /// <c>readonly</c> field every assignment of which is one. Such a pin is not long-lived.
    /// </summary>
    internal sealed class PinnedObjectHeap
    {
        private readonly PinApis _apis;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool> _fields = new(SymbolEqualityComparer.Default);

        private readonly System.Collections.Concurrent.ConcurrentDictionary<(IFieldSymbol Field, INamedTypeSymbol? User), bool> _otherFields = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<ISymbol, bool> _elements = new(SymbolEqualityComparer.Default);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool> _thisFields = new(SymbolEqualityComparer.Default);

        internal PinnedObjectHeap(PinApis apis) => _apis = apis;

        private static INamedTypeSymbol? EnclosingType(IOperation operation)
            => operation.SemanticModel?.GetEnclosingSymbol(operation.Syntax.SpanStart)?.ContainingType;

        /// <summary>
        /// A non-readonly field reached through another object: every assignment to it (by name, <c>x.table = …</c>) in its
        /// own type and in the type that uses it is a POH allocation, and there is one.
        /// </summary>
        private static bool OtherFieldHolds(IFieldSymbol field, INamedTypeSymbol? user)
        {
            var assigned = false;
            foreach (var type in new[] { field.ContainingType, user })
            {
                if (type is null || (!ReferenceEquals(type, field.ContainingType) && SymbolEqualityComparer.Default.Equals(type, field.ContainingType)))
                {
                    continue;
                }

                foreach (var typeReference in type.DeclaringSyntaxReferences)
                {
                    foreach (var node in typeReference.GetSyntax().DescendantNodes())
                    {
                        if (node is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } initializer } declarator
                            && declarator.Identifier.ValueText == field.Name && declarator.Parent?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax)
                        {
                            if (IsNothing(initializer.Value))
                            {
                                // = null! / = default: no array until one is assigned.
                                continue;
                            }

                            if (!PinnedObjectHeapSyntax.IsPinnedMemory(initializer.Value))
                            {
                                return false;
                            }

                            assigned = true;
                        }
                        else if (node is Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment && PinnedObjectHeapSyntax.NamesMember(assignment.Left, field.Name))
                        {
                            if (IsNothing(assignment.Right))
                            {
                                // state[v].tableRaw = null when the table is retired: no array until one is assigned.
                                continue;
                            }

                            if (!PinnedObjectHeapSyntax.IsPinnedMemory(assignment.Right))
                            {
                                return false;
                            }

                            assigned = true;
                        }
                    }
                }
            }

            return assigned;
        }

        /// <summary>
        /// An array of arrays (a local, or a field of this type) whose every element store is a POH allocation: created
        /// empty (<c>new byte[n][]</c>), then filled with <c>segs[i] = GC.AllocateArray&lt;byte&gt;(n, true)</c> only.
        /// </summary>
        private bool ElementsHold(IOperation outer)
        {
            ISymbol? symbol = outer switch
            {
                ILocalReferenceOperation local => local.Local,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };

            return symbol is not null && _elements.GetOrAdd(symbol, ComputeElementsHold);
        }

        private static bool ComputeElementsHold(ISymbol symbol)
        {
            var scopes = new System.Collections.Generic.List<SyntaxNode>();
            if (symbol is ILocalSymbol local)
            {
                foreach (var reference in local.DeclaringSyntaxReferences)
                {
                    var member = reference.GetSyntax().FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax>();
                    if (member is not null)
                    {
                        scopes.Add(member);
                    }
                }
            }
            else
            {
                foreach (var reference in symbol.ContainingType.DeclaringSyntaxReferences)
                {
                    scopes.Add(reference.GetSyntax());
                }
            }

            var stored = false;
            foreach (var scope in scopes)
            {
                foreach (var node in scope.DescendantNodes())
                {
                    switch (node)
                    {
                        case Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } initializer } declarator when declarator.Identifier.ValueText == symbol.Name:
                            if (!IsEmptyArrayOfArrays(initializer.Value))
                            {
                                return false;
                            }

                            break;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax { Left: Microsoft.CodeAnalysis.CSharp.Syntax.ElementAccessExpressionSyntax element } store
                            when PinnedObjectHeapSyntax.Names(element.Expression, symbol.Name):
                            if (!PinnedObjectHeapSyntax.IsAllocation(store.Right))
                            {
                                return false;
                            }

                            stored = true;
                            break;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment when PinnedObjectHeapSyntax.Names(assignment.Left, symbol.Name):
                            if (!IsEmptyArrayOfArrays(assignment.Right))
                            {
                                return false;
                            }

                            break;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { RefKindKeyword.RawKind: not 0 } byRef when PinnedObjectHeapSyntax.Names(byRef.Expression, symbol.Name):
                            // Array.Resize(ref segs, n) keeps the elements; an out/ref of anything else may replace them.
                            if (byRef.Parent?.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Resize" } })
                            {
                                return false;
                            }

                            break;
                    }
                }
            }

            return stored;
        }

        private static bool IsNothing(Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax value)
        {
            while (value is Microsoft.CodeAnalysis.CSharp.Syntax.PostfixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression } suppressed)
            {
                value = suppressed.Operand;
            }

            return value.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.NullLiteralExpression) || value.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.DefaultLiteralExpression);
        }

        private static bool IsEmptyArrayOfArrays(Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax value)
            => value is Microsoft.CodeAnalysis.CSharp.Syntax.ArrayCreationExpressionSyntax { Initializer: null }
                || value.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.NullLiteralExpression);

        /// <summary>Assignments followed from local to local (<c>var m = arr.AsMemory()</c> over a POH <c>arr</c>) at most this deep.</summary>
        private const int MaxLocalDepth = 4;

        /// <param name="method">The method's flow, to read a local's assignments; null to judge without it.</param>
        internal bool Holds(IOperation? target, MethodFlow? method) => Holds(target, method, 0);

        private bool Holds(IOperation? target, MethodFlow? method, int depth)
        {
            target = target.WalkDownConversions();
            switch (target)
            {
                case null:
                    return false;
                case { Kind: OperationKind.None } when target.ChildOperations.Count == 1:
                    // The array-to-pointer conversion of a fixed initializer has no public IOperation.
                    return Holds(target.ChildOperations.First(), method, depth);
                case IAddressOfOperation addressOf:
                    return Holds(addressOf.Reference, method, depth);
                case IArrayElementReferenceOperation { Type: IArrayTypeSymbol } jagged:
                    // segs[i] of an array of arrays: the object is the element's array, not the outer one.
                    return jagged.ArrayReference.WalkDownConversions() is { } outer && ElementsHold(outer);
                case IArrayElementReferenceOperation element:
                    return Holds(element.ArrayReference, method, depth);
                case ILocalReferenceOperation local:
                    return depth % ReturnBand < MaxLocalDepth && LocalHolds(local, method, depth + 1);
                case IInvocationOperation { TargetMethod.Name: "AsSpan" or "AsMemory" } view:
                    // arr.AsSpan() / arr.AsMemory() over a POH array is still POH memory.
                    return Holds(view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null), method, depth);
                case IInvocationOperation { TargetMethod.Name: "Slice", Instance: { } sliced } when IsMemoryOrSpan(sliced.Type):
                    // A slice of POH memory is POH memory.
                    return Holds(sliced, method, depth);
                case IObjectCreationOperation { Arguments.Length: > 0 } creation when IsMemoryOrSpan(creation.Type) && creation.Arguments[0].Value.Type is IArrayTypeSymbol:
                    // new Memory<T>(array, start, length) over a POH array.
                    return Holds(creation.Arguments[0].Value, method, depth);
                case IFieldReferenceOperation { Instance: not (null or IInstanceReferenceOperation) } other when !other.Field.IsReadOnly:
                    // state.table of another object: every assignment seen, in the field's type and in the using type.
                    return _otherFields.GetOrAdd((other.Field, EnclosingType(other)), key => OtherFieldHolds(key.Field, key.User));
                case IFieldReferenceOperation field:
                    return field.Field.IsReadOnly ? _fields.GetOrAdd(field.Field, FieldHolds) : !field.Field.IsStatic && _thisFields.GetOrAdd(field.Field, ThisFieldHolds);
                case IInvocationOperation call when !(depth >= ReturnBand && depth < CreationBand) && IsSourceMethod(call.TargetMethod):
                    // var data = stream.CopyToPinnedArray(): a helper of the compilation whose every return is POH memory.
                    return _returns.GetOrAdd(call.TargetMethod.OriginalDefinition, ReturnsPinnedMemory);
                case IParameterReferenceOperation { Parameter: { RefKind: RefKind.None, ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } } parameter } when depth < ReturnBand:
                    // class ArrayMemoryHandle(byte[] array) { GCHandle _h = GCHandle.Alloc(array, …); }: every creation passes POH memory.
                    return _creations.GetOrAdd(parameter.OriginalDefinition, p => CreationsPassPinnedMemory((IParameterSymbol)p));
                default:
                    return _apis.IsPinnedObjectHeapAllocation(target);
            }
        }

        /// <summary>
        /// Summaries are one level of each kind, never recursive: a helper's returns are judged at <see cref="ReturnBand"/>
        /// (no summary followed from there), a constructor's creations at <see cref="CreationBand"/> (their arguments may
        /// still be a helper's result, not another creation). Locals are followed <see cref="MaxLocalDepth"/> deep within a band.
        /// </summary>
        private const int ReturnBand = 100;

        private const int CreationBand = 200;

        private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, bool> _returns = new(SymbolEqualityComparer.Default);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IParameterSymbol, bool> _creations = new(SymbolEqualityComparer.Default);

        private bool IsSourceMethod(IMethodSymbol method)
            => method.MethodKind is MethodKind.Ordinary or MethodKind.ReducedExtension && !method.IsVirtual && !method.IsAbstract && !method.IsOverride
                && method.ReturnType is IArrayTypeSymbol && (method.ReducedFrom ?? method).DeclaringSyntaxReferences.Length == 1
                && _apis.Compilation.ContainsSyntaxTree((method.ReducedFrom ?? method).DeclaringSyntaxReferences[0].SyntaxTree);

        /// <summary>Every <c>return</c> of the source method (one level: no calls followed) is POH memory, and there is one.</summary>
        private bool ReturnsPinnedMemory(IMethodSymbol method)
        {
            var declaration = (method.ReducedFrom ?? method).DeclaringSyntaxReferences[0].GetSyntax();
            if (_apis.Compilation.GetSemanticModel(declaration.SyntaxTree).GetOperation(declaration) is not { } body)
            {
                return false;
            }

            var returned = false;
            foreach (var operation in body.Descendants())
            {
                if (operation is not IReturnOperation @return || Nested(@return, body))
                {
                    continue;
                }

                if (@return.ReturnedValue is not { } value || !Holds(value, method: null, ReturnBand))
                {
                    return false;
                }

                returned = true;
            }

            return returned;
        }

        private static bool Nested(IOperation operation, IOperation root)
        {
            for (var current = operation.Parent; current is not null && !ReferenceEquals(current, root); current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A constructor parameter of a type that is not public (so every creation is in this compilation), and every
        /// <c>new T(…)</c> found passes POH memory for it (RobustToolbox's <c>new ArrayMemoryHandle(stream.CopyToPinnedArray())</c>).
        /// Private nested types are created in their containing type; internal ones in the trees that name them.
        /// </summary>
        private bool CreationsPassPinnedMemory(IParameterSymbol parameter)
        {
            var constructor = (IMethodSymbol)parameter.ContainingSymbol;
            var type = constructor.ContainingType;
            if (EffectivelyPublic(type))
            {
                return false;
            }

            System.Collections.Generic.IEnumerable<SyntaxNode> scopes;
            if (type.DeclaredAccessibility == Accessibility.Private && type.ContainingType is { } outer)
            {
                scopes = System.Linq.Enumerable.Select(outer.DeclaringSyntaxReferences, reference => reference.GetSyntax());
            }
            else
            {
                scopes = Flow.SourceSearch.RootsMentioning(_apis.Compilation, type.Name);
            }

            var created = false;
            foreach (var scope in scopes)
            {
                SemanticModel? model = null;
                foreach (var node in scope.DescendantNodes())
                {
                    if (node is not Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax creationSyntax)
                    {
                        continue;
                    }

                    model ??= _apis.Compilation.GetSemanticModel(scope.SyntaxTree);
                    if (model.GetOperation(creationSyntax) is not IObjectCreationOperation creation
                        || !SymbolEqualityComparer.Default.Equals(creation.Constructor?.OriginalDefinition, constructor.OriginalDefinition))
                    {
                        continue;
                    }

                    IOperation? argument = null;
                    foreach (var candidate in creation.Arguments)
                    {
                        if (SymbolEqualityComparer.Default.Equals(candidate.Parameter?.OriginalDefinition, parameter.OriginalDefinition))
                        {
                            argument = candidate.Value;
                        }
                    }

                    if (argument is null || !Holds(argument, method: null, CreationBand))
                    {
                        return false;
                    }

                    created = true;
                }
            }

            return created;
        }

        /// <summary>
        /// <c>new Owner(args)</c> where every pin the owner's constructors and initializers make is of a parameter of this
        /// constructor, and each such argument here is POH memory: the owner holds no movable pin.
        /// </summary>
        internal bool OwnerPinsPinnedMemory(IOperation siteOperation, MethodFlow method)
        {
            if (siteOperation is not IObjectCreationOperation { Constructor: { } constructor } creation
                || PinnedParameters(constructor.OriginalDefinition) is not { Count: > 0 } pinned)
            {
                return false;
            }

            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter is { } parameter && pinned.Contains(parameter.Ordinal) && !Holds(argument.Value, method, 0))
                {
                    return false;
                }
            }

            return true;
        }

        private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, System.Collections.Generic.HashSet<int>?> _pinnedParameters = new(SymbolEqualityComparer.Default);

        private System.Collections.Generic.HashSet<int>? PinnedParameters(IMethodSymbol constructor)
            => _pinnedParameters.GetOrAdd(constructor, ComputePinnedParameters);

        /// <summary>The ordinals of <paramref name="constructor"/>'s parameters that its type pins at construction; null when it pins anything else.</summary>
        private System.Collections.Generic.HashSet<int>? ComputePinnedParameters(IMethodSymbol constructor)
        {
            var ordinals = new System.Collections.Generic.HashSet<int>();
            foreach (var reference in constructor.ContainingType.DeclaringSyntaxReferences)
            {
                if (!_apis.Compilation.ContainsSyntaxTree(reference.SyntaxTree))
                {
                    return null;
                }

                SemanticModel? model = null;
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    if (node is not (Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax)
                        || node.FirstAncestorOrSelf<SyntaxNode>(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax) is not
                            (Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax))
                    {
                        continue;
                    }

                    model ??= _apis.Compilation.GetSemanticModel(reference.SyntaxTree);
                    if (model.GetOperation(node) is not { } operation || HandlePinSites.Find(operation, _apis) is not { } site)
                    {
                        continue;
                    }

                    if (site.Target.WalkDownConversions() is not IParameterReferenceOperation { Parameter: var parameter }
                        || !SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol.OriginalDefinition, constructor))
                    {
                        return null;
                    }

                    ordinals.Add(parameter.Ordinal);
                }
            }

            return ordinals;
        }

        private static bool EffectivelyPublic(INamedTypeSymbol type)
        {
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                if (current.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal)
                {
                    return false;
                }
            }

            return true;
        }

        private bool IsMemoryOrSpan(ITypeSymbol? type)
        {
            var definition = type?.OriginalDefinition;
            return definition is not null
                && (SymbolEqualityComparer.Default.Equals(definition, _apis.Memory)
                    || SymbolEqualityComparer.Default.Equals(definition, _apis.ReadOnlyMemory)
                    || SymbolEqualityComparer.Default.Equals(definition, _apis.Span)
                    || SymbolEqualityComparer.Default.Equals(definition, _apis.ReadOnlySpan));
        }

        /// <summary>A value that is POH memory: an allocation itself, or (followed through locals) a view of one.</summary>
        private bool IsPinnedObjectHeapValue(IOperation value, MethodFlow? method, int depth)
            => _apis.IsPinnedObjectHeapAllocation(value) || Holds(value, method, depth);

        private bool LocalHolds(ILocalReferenceOperation local, MethodFlow? method, int depth)
        {
            var assigned = false;
            var references = method is not null
                ? method.FunctionOf(local).ReferencesTo(local.Local)
                : (System.Collections.Generic.IEnumerable<IOperation>)LocalReferences(local);
            foreach (var reference in references)
            {
                switch (reference.Parent)
                {
                    case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                        if (IsNullValue(assignment.Value))
                        {
                            // buffer = null once it is done with: no array, movable or not.
                            break;
                        }

                        if (!IsPinnedObjectHeapValue(assignment.Value, method, depth))
                        {
                            return false;
                        }

                        assigned = true;
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref }:
                        return false;
                }
            }

            // The declaration's initializer is not a reference: look at the declarator.
            foreach (var syntax in local.Local.DeclaringSyntaxReferences)
            {
                var declarator = local.SemanticModel?.GetOperation(syntax.GetSyntax());
                if (declarator is IVariableDeclaratorOperation { Initializer: { } initializer } && !IsNullValue(initializer.Value))
                {
                    if (!IsPinnedObjectHeapValue(initializer.Value, method, depth))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            return assigned;
        }

        private static bool IsNullValue(IOperation value)
            => value.WalkDownConversions() is { ConstantValue: { HasValue: true, Value: null } } or IDefaultValueOperation;

        private static System.Collections.Generic.IEnumerable<IOperation> LocalReferences(ILocalReferenceOperation local)
        {
            foreach (var operation in local.Root().Descendants())
            {
                if (operation is ILocalReferenceOperation other && SymbolEqualityComparer.Default.Equals(other.Local, local.Local))
                {
                    yield return operation;
                }
            }
        }

        /// <summary>
        /// A readonly field is assigned only in its initializer and the constructors of its type. Those may sit in
        /// other files, so they are read as syntax: <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c> by shape.
        /// </summary>
        /// <summary>
        /// A field of this object that is not readonly: every assignment to it in its type (<c>buffer = …</c>,
        /// <c>x.buffer = …</c>) is a POH allocation or <c>null</c>, none passes it by <c>ref</c>, and there is an allocation —
        /// Garnet's <c>SectorAlignedMemory.buffer</c>, set in its constructor and cleared in <c>Return</c>. A private
        /// constructor that copies the field from its parameter counts when every creation in the type passes that field
        /// (<c>new SessionParseState(ref rootBuffer, …)</c>). The type's own code is the one that can be seen, as for
        /// <see cref="OtherFieldHolds"/>.
        /// </summary>
        private static bool ThisFieldHolds(IFieldSymbol field)
        {
            var allocated = false;
            foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in typeReference.GetSyntax().DescendantNodes())
                {
                    switch (node)
                    {
                        case Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } initializer } declarator
                            when declarator.Identifier.ValueText == field.Name && declarator.Parent?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax:
                            if (!IsNothing(initializer.Value))
                            {
                                if (!PinnedObjectHeapSyntax.IsPinnedMemory(initializer.Value))
                                {
                                    return false;
                                }

                                allocated = true;
                            }

                            break;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment when PinnedObjectHeapSyntax.NamesMember(assignment.Left, field.Name):
                            if (!assignment.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression))
                            {
                                return false;
                            }

                            if (IsNothing(assignment.Right))
                            {
                                break;
                            }

                            if (PinnedObjectHeapSyntax.IsPinnedMemory(assignment.Right))
                            {
                                allocated = true;
                                break;
                            }

                            if (!CopiedFromItself(assignment, field))
                            {
                                return false;
                            }

                            break;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { RefKindKeyword.RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.OutKeyword } byOut
                            when PinnedObjectHeapSyntax.NamesMember(byOut.Expression, field.Name):
                            return false;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { RefKindKeyword.RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.RefKeyword } byRef
                            when PinnedObjectHeapSyntax.NamesMember(byRef.Expression, field.Name)
                                && !(byRef.Parent?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax && IsCopyingConstructorCall(byRef, field)):
                            return false;
                    }
                }
            }

            return allocated;
        }

        /// <summary><c>this.f = f;</c> in a private constructor whose every call in the type passes the field itself.</summary>
        private static bool CopiedFromItself(Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment, IFieldSymbol field)
        {
            if (assignment.Right is not Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax { Identifier.ValueText: var name }
                || assignment.FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax>() is not { } constructor
                || !constructor.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PrivateKeyword))
            {
                return false;
            }

            var parameters = constructor.ParameterList.Parameters;
            var ordinal = -1;
            for (var i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Identifier.ValueText == name)
                {
                    ordinal = i;
                }
            }

            if (ordinal < 0)
            {
                return false;
            }

            var called = false;
            foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in typeReference.GetSyntax().DescendantNodes())
                {
                    if (node is Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax { ArgumentList.Arguments: var arguments } creation
                        && arguments.Count == parameters.Count && CreatesType(creation, field.ContainingType.Name))
                    {
                        if (!PinnedObjectHeapSyntax.NamesMember(arguments[ordinal].Expression, field.Name))
                        {
                            return false;
                        }

                        called = true;
                    }
                }
            }

            return called;
        }

        private static bool IsCopyingConstructorCall(Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax argument, IFieldSymbol field)
            => argument.Parent?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax creation && CreatesType(creation, field.ContainingType.Name);

        private static bool CreatesType(Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax creation, string typeName)
            => creation switch
            {
                Microsoft.CodeAnalysis.CSharp.Syntax.ObjectCreationExpressionSyntax { Type: Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax { Identifier.ValueText: var name } } => name == typeName,
                Microsoft.CodeAnalysis.CSharp.Syntax.ImplicitObjectCreationExpressionSyntax => creation.FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.ReturnStatementSyntax>() is not null
                    || creation.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ArrowExpressionClauseSyntax,
                _ => false,
            };

        private static bool FieldHolds(IFieldSymbol field)
        {
            var assigned = false;
            foreach (var reference in field.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } initializer })
                {
                    if (!PinnedObjectHeapSyntax.IsPinnedMemory(initializer.Value))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in typeReference.GetSyntax().DescendantNodes())
                {
                    if (node is Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment && PinnedObjectHeapSyntax.Names(assignment.Left, field.Name))
                    {
                        if (!PinnedObjectHeapSyntax.IsPinnedMemory(assignment.Right))
                        {
                            return false;
                        }

                        assigned = true;
                    }
                }
            }

            return assigned;
        }
    }
}
