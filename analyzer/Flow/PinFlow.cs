using System.Linq;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// The shared pin-flow engine: follows one pin value through its function and returns its
    /// <see cref="PinFate"/>. Data flows one way — pin site → pin flow → fate → rule verdicts — and no rule
    /// walks the code on its own.
    /// </summary>
    /// <remarks>
    /// The value part is flow-insensitive over the operation tree: the pin value, its copies (locals,
    /// parameters, fields of <c>this</c>) and everything derived from it (addresses, casts, pointer
    /// arithmetic, <c>IntPtr</c>, spans) are followed, and every place where one leaves the function's
    /// control is a sink (see DESIGN.md, "What outlives and escapes mean"). The release part is
    /// path-sensitive over the control-flow graph (<see cref="ReleasePaths"/>).
    /// </remarks>
    internal static class PinFlow
    {
        internal static PinFate Follow(PinSite site, MethodFlow method, PinApis apis, PinFlowOptions options)
        {
            var function = method.FunctionOf(site.Operation);
            var tracker = new ValueTracker(site, function, apis, options);
            tracker.Run();

            if (site.Kind == PinKind.Fixed)
            {
                // A fixed statement unpins when it ends, on every path: only escapes matter. A request that finishes
                // before the statement ends is not one.
                var fixedSinks = CompletionPaths.Settle(tracker.Sinks.ToImmutable(), function, PinEnd.ForFixed(site), method.CancellationToken);
                return new PinFate(site, fixedSinks, PinRelease.AllPaths, PinLeakKind.None, null, null, EnclosingLoop(site.Operation, function), ImmutableArray<ISymbol>.Empty)
                    .WithConstantLoopCount(LoopBounds.AllConstant(site.Operation, function));
            }

            if (site.Kind == PinKind.MappedAddress)
            {
                // Nothing in the method releases a mapping's address: only its escapes matter.
                return new PinFate(site, tracker.Sinks.ToImmutable(), PinRelease.AllPaths, PinLeakKind.None, null, null, EnclosingLoop(site.Operation, function), ImmutableArray<ISymbol>.Empty);
            }

            var paths = ReleasePaths.Analyze(site, function, apis, tracker.HandleHolders, tracker.Tokens, tracker.Transfers, method.CancellationToken);
            var sinks = site.Kind == PinKind.ViewPointer
                // A registration pins a mapped page long-term whenever the view pointer is released: no settling.
                ? tracker.Sinks.ToImmutable()
                : CompletionPaths.Settle(tracker.Sinks.ToImmutable(), function, PinEnd.ForRelease(site, paths, tracker.HandleHolders), method.CancellationToken);
            var release = paths.Leak == PinLeakKind.None
                ? PinRelease.AllPaths
                : paths.SawRelease || tracker.ReleaseCount > 0 ? PinRelease.SomePaths : PinRelease.NoPath;

            return new PinFate(
                site,
                sinks,
                release,
                paths.Leak,
                paths.LeakingOperation,
                paths.LeakingMember,
                EnclosingLoop(site.Operation, function),
                ImmutableArray.CreateRange(tracker.HandleHolders))
                .WithConstantLoopCount(LoopBounds.AllConstant(site.Operation, function));
        }

        /// <summary>
        /// The sinks that a pointer, <c>IntPtr</c> or span parameter reaches in its own method's body, for the one-level
        /// summaries of <see cref="PinSummaries"/> (helpers that keep a pointer, constructors that store one). The body's
        /// own calls are judged without summaries: one level, no recursion.
        /// </summary>
        /// <summary>Where a handle passed as <paramref name="parameter"/> goes in <paramref name="function"/>: followed as the handle itself.</summary>
        internal static ImmutableArray<PinSink> HandleParameterSinks(IParameterSymbol parameter, FunctionFlow function, PinApis apis, PinKind kind)
        {
            var tracker = new ValueTracker(new PinSite(function.Body, kind, null), function, apis, PinFlowOptions.Default, useSummaries: false);
            tracker.RunFromHandle(parameter);
            return tracker.Sinks.ToImmutable();
        }

        internal static ImmutableArray<PinSink> ParameterSinks(IParameterSymbol parameter, FunctionFlow function, PinApis apis)
        {
            var tracker = new ValueTracker(new PinSite(function.Body, PinKind.Fixed, null), function, apis, PinFlowOptions.Default, useSummaries: false);
            tracker.RunFrom(parameter);
            return tracker.Sinks.ToImmutable();
        }

        /// <summary>
        /// For a capture sink: true when the capturing lambda or local function may run after the call that made it returns
        /// — it is stored in a field, property or event, returned, or handed to a call that schedules it (<c>Task.Run</c>,
        /// <c>ContinueWith</c>, a thread, a timer). A lambda handed to an ordinary call (<c>Parallel.For</c>, LINQ) or kept in
        /// a local runs while the caller waits, as far as the method shows.
        /// </summary>
        internal static bool CaptureMayOutliveCall(IOperation reference)
        {
            IOperation? function = null;
            for (var current = reference.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    function = current;
                }
            }

            if (function is ILocalFunctionOperation)
            {
                // Called by name in the method: it runs while the method runs, unless it is turned into a delegate (rare).
                return false;
            }

            var value = function?.Parent;
            while (value is IDelegateCreationOperation or IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            switch (value)
            {
                case IArgumentOperation { Parent: IInvocationOperation invocation }:
                    return invocation.TargetMethod.Name is "Run" or "StartNew" or "ContinueWith" or "QueueUserWorkItem" or "UnsafeQueueUserWorkItem"
                        or "Register" or "UnsafeRegister" or "RegisterWaitForSingleObject" or "OnCompleted" or "UnsafeOnCompleted";
                case IArgumentOperation { Parent: IObjectCreationOperation creation }:
                    return creation.Type?.Name is "Thread" or "Timer" or "Task";
                case ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation }:
                case IEventAssignmentOperation:
                case IReturnOperation:
                case IFieldInitializerOperation:
                case IPropertyInitializerOperation:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Where an address that a function reads from a long-lived pin goes — a lease's <c>Address</c> read from a field:
        /// the escapes it reaches (same meaning as a pin's sinks) and the variables that hold it. The lease conversion asks
        /// this to decide whether a read can move into a <c>lease.Enter()</c> scope: only an address that escapes nowhere can.
        /// </summary>
        internal static (ImmutableArray<PinSink> Sinks, ImmutableArray<ISymbol> Holders) FollowAddress(IOperation address, MethodFlow method, PinApis apis, PinFlowOptions options)
        {
            var tracker = new ValueTracker(new PinSite(address, PinKind.LeaseScope, null), method.FunctionOf(address), apis, options);
            tracker.RunFromAddress();
            return (tracker.Sinks.ToImmutable(), tracker.AddressHolders);
        }

        /// <summary>The innermost loop whose body (not its collection or condition) executes <paramref name="operation"/>.</summary>
        private static ILoopOperation? EnclosingLoop(IOperation operation, FunctionFlow function)
        {
            var child = operation;
            for (var current = operation.Parent; current is not null && !ReferenceEquals(current, function.Function); current = current.Parent)
            {
                if (current is ILoopOperation loop && ReferenceEquals(loop.Body, child))
                {
                    return loop;
                }

                child = current;
            }

            return null;
        }

        private enum Role
        {
            /// <summary>The handle itself, or a token that gives it back (<c>GCHandle.ToIntPtr</c>).</summary>
            Handle,

            /// <summary>An address into the pinned memory, or anything derived from one.</summary>
            Address,
        }

        private sealed class ValueTracker
        {
            private readonly PinSite _site;
            private readonly FunctionFlow _function;
            private readonly PinApis _apis;
            private readonly PinFlowOptions _options;
            private readonly bool _useSummaries;
            private readonly HashSet<ISymbol> _addressHolders = new(SymbolEqualityComparer.Default);
            private readonly HashSet<IOperation> _sinkOperations = new();
            private readonly StackBuffers _stackBuffers = new();

            internal ValueTracker(PinSite site, FunctionFlow function, PinApis apis, PinFlowOptions options, bool useSummaries = true)
            {
                _site = site;
                _function = function;
                _apis = apis;
                _options = options;
                _useSummaries = useSummaries;
            }

            /// <summary>Follows an address parameter of the function (for <see cref="ParameterSinks"/>).</summary>
            internal void RunFrom(IParameterSymbol parameter) => Hold(parameter, Role.Address, token: false, writtenBy: null);

            internal void RunFromHandle(IParameterSymbol parameter) => Hold(parameter, Role.Handle, token: false, writtenBy: null);

            internal ImmutableArray<PinSink>.Builder Sinks { get; } = ImmutableArray.CreateBuilder<PinSink>();

            internal HashSet<ISymbol> HandleHolders { get; } = new(SymbolEqualityComparer.Default);

            /// <summary>Locals holding a token that gives the handle back (<c>ToIntPtr</c>).</summary>
            internal HashSet<ISymbol> Tokens { get; } = new(SymbolEqualityComparer.Default);

            internal int ReleaseCount { get; private set; }

            /// <summary>Hand-overs of the handle to a container released element-wise in a covering finally/using (<see cref="ContainerRelease"/>).</summary>
            internal HashSet<SyntaxNode> Transfers { get; } = new();

            /// <summary>True when <paramref name="handOver"/> gives the handle itself to a container that releases it: recorded as a release.</summary>
            private bool ReleasedThrough(IOperation handOver, IOperation? container, Role role, bool token)
            {
                if (role != Role.Handle || token || !ContainerRelease.For(_apis.Compilation).Releases(_site, handOver, container, _function, _apis))
                {
                    return false;
                }

                Transfers.Add(handOver.Syntax);
                ReleaseCount++;
                return true;
            }

            internal ImmutableArray<ISymbol> AddressHolders => ImmutableArray.CreateRange(_addressHolders);

            /// <summary>The site's operation is itself an address (see <see cref="FollowAddress"/>).</summary>
            internal void RunFromAddress() => Visit(_site.Operation, Role.Address, token: false);

            internal void Run()
            {
                if (_site.FixedLocal is { } fixedLocal)
                {
                    Hold(fixedLocal, Role.Address, token: false, writtenBy: null);
                }
                else if (_site.Operation is IInvocationOperation invocation && OutArgument(invocation) is { } outArgument)
                {
                    // TryAcquire(..., out var lease) / TryEnter(out var scope): the pin is the out variable.
                    switch (outArgument.Value)
                    {
                        case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared }:
                            Hold(declared.Local, Role.Handle, token: false, writtenBy: invocation);
                            break;
                        case ILocalReferenceOperation local:
                            Hold(local.Local, Role.Handle, token: false, writtenBy: invocation);
                            break;
                        case IFieldReferenceOperation field:
                            AddSink(PinSinkKind.Field, outArgument, DescribeField(field.Field), Role.Handle);
                            break;
                        case IParameterReferenceOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } parameter:
                            AddSink(PinSinkKind.OutOrRefParameter, outArgument, $"written to out parameter '{parameter.Parameter.Name}'", Role.Handle);
                            break;
                    }
                }
                else if (_site.Kind == PinKind.ViewPointer && _site.Operation is IInvocationOperation acquire)
                {
                    // view.SafeMemoryMappedViewHandle.AcquirePointer(ref p): the handle (or its view) is released, p is the address.
                    foreach (var holder in MappedViewSites.HandleHolders(_site.Target))
                    {
                        HandleHolders.Add(holder);
                    }

                    if (acquire.Arguments.Length == 1)
                    {
                        var pointer = acquire.Arguments[0];
                        switch (pointer.Value)
                        {
                            case ILocalReferenceOperation local:
                                Hold(local.Local, Role.Address, token: false, writtenBy: null);
                                break;
                            case IFieldReferenceOperation field:
                                AddSink(PinSinkKind.Field, pointer, DescribeField(field.Field), Role.Address);
                                if (field.Instance is null or IInstanceReferenceOperation)
                                {
                                    Hold(field.Field, Role.Address, token: false, writtenBy: null);
                                }

                                break;
                        }
                    }
                }
                else if (_site.Kind == PinKind.MappedAddress)
                {
                    Visit(_site.Operation, Role.Address, token: false);
                }
                else
                {
                    Visit(_site.Operation, Role.Handle, token: false);
                }
            }

            /// <summary>For the Try* pins (bool result): the out argument that receives the pin.</summary>
            private IArgumentOperation? OutArgument(IInvocationOperation invocation)
            {
                if (_site.Kind is not (PinKind.Lease or PinKind.LeaseScope) || invocation.TargetMethod.ReturnType.SpecialType != SpecialType.System_Boolean)
                {
                    return null;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter?.RefKind == RefKind.Out)
                    {
                        return argument;
                    }
                }

                return null;
            }

            private void Visit(IOperation value, Role role, bool token)
            {
                var parent = value.Parent;
                switch (parent)
                {
                    case null:
                        return;

                    case IConversionOperation or IParenthesizedOperation or ICoalesceOperation or ITupleOperation:
                        Visit(parent, role, token);
                        return;

                    case IConditionalOperation conditional when !ReferenceEquals(conditional.Condition, value):
                        Visit(conditional, role, token);
                        return;

                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        Hold(declarator.Symbol, role, token, declarator);
                        return;

                    case IFieldInitializerOperation fieldInitializer:
                        foreach (var field in fieldInitializer.InitializedFields)
                        {
                            AddSink(PinSinkKind.Field, fieldInitializer, DescribeField(field), role);
                        }

                        return;

                    case IPropertyInitializerOperation propertyInitializer:
                        foreach (var property in propertyInitializer.InitializedProperties)
                        {
                            AddSink(PinSinkKind.Property, propertyInitializer, $"stored in property '{property.Name}'", role);
                        }

                        return;

                    case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, value):
                        AssignTo(assignment.Target, assignment, role, token);
                        return;

                    case ICoalesceAssignmentOperation coalesce when ReferenceEquals(coalesce.Value, value):
                        AssignTo(coalesce.Target, coalesce, role, token);
                        return;

                    case IReturnOperation returned when ReferenceEquals(returned.ReturnedValue, value):
                        if (_function.NestedFunctionOf(returned) is not null)
                        {
                            // Returned by a lambda that runs in place: the value goes back to the call that invoked it.
                            return;
                        }

                        if (returned.Kind == OperationKind.YieldReturn)
                        {
                            AddSink(PinSinkKind.Yield, returned, "yielded", role);
                        }
                        else
                        {
                            AddSink(PinSinkKind.Return, returned, "returned", role);
                        }

                        return;

                    case IArgumentOperation argument:
                        PassedAsArgument(argument, role, token);
                        return;

                    case IPropertyReferenceOperation { Property.Name: "Value" } unwrapped when ReferenceEquals(unwrapped.Instance, value) && IsNullableValue(value):
                        // h.Value of a GCHandle? holder is the handle itself (Garnet's DiskANN search).
                        Visit(unwrapped, role, token);
                        return;

                    case IInvocationOperation { TargetMethod.Name: "GetValueOrDefault", Arguments.Length: 0 } unwrapped when ReferenceEquals(unwrapped.Instance, value) && IsNullableValue(value):
                        Visit(unwrapped, role, token);
                        return;

                    case IConditionalAccessOperation access when ReferenceEquals(access.Operation, value):
                        // h?.Free(), owner?.Dispose(): the member is called on the value itself when it is there.
                        if (ConditionalInstanceOf(access) is { } instance)
                        {
                            Visit(instance, role, token);
                        }

                        return;

                    case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, value):
                        CalledOn(invocation, role);
                        return;

                    case IPropertyReferenceOperation property when ReferenceEquals(property.Instance, value):
                        // The pin's own address property (MemoryHandle.Pointer, a scope's Address or Span); on an
                        // address, any address-typed property.
                        if (IsAddressLike(property.Type) && (role == Role.Address || _apis.IsAddressProperty(property.Property)))
                        {
                            Visit(property, Role.Address, token: false);
                        }

                        return;

                    case IBinaryOperation binary when (role == Role.Address || token) && IsDerivedArithmetic(binary):
                        Visit(binary, Role.Address, token: false);
                        return;

                    case IArrayInitializerOperation arrayInitializer:
                        AddSink(PinSinkKind.ArrayElement, arrayInitializer, "stored in an array", role);
                        return;

                    case IAddressOfOperation addressOf when role == Role.Address:
                        Visit(addressOf, Role.Address, token: false);
                        return;

                    default:
                        if (parent.Kind == OperationKind.None && role == Role.Address)
                        {
                            // Pointer element access and indirection have no public IOperation. p[i] or *p is the
                            // memory itself, not an address; only &p[i] (or a pointer-typed result) is derived.
                            if (parent.Type is IPointerTypeSymbol)
                            {
                                Visit(parent, Role.Address, token: false);
                            }
                            else if (parent.Parent is IAddressOfOperation addressOfElement)
                            {
                                Visit(addressOfElement, Role.Address, token: false);
                            }
                            else if (parent.Parent is IFieldReferenceOperation member && ReferenceEquals(member.Instance, parent))
                            {
                                MemberOfPinnedMemory(member);
                            }
                        }

                        return;
                }
            }

            /// <summary>
            /// <c>p->field</c>, <c>p[i].field.inner</c>: the memory itself, not an address — unless its address is taken
            /// (<c>&amp;p->field</c>) or the member is a fixed-size buffer (<c>p[i].name</c> with <c>fixed byte name[256]</c>),
            /// which reads as a pointer into the pinned memory.
            /// </summary>
            private void MemberOfPinnedMemory(IFieldReferenceOperation member)
            {
                for (var depth = 0; depth < 8; depth++)
                {
                    if (member.Field.IsFixedSizeBuffer || member.Type is IPointerTypeSymbol)
                    {
                        Visit(member, Role.Address, token: false);
                        return;
                    }

                    switch (member.Parent)
                    {
                        case IAddressOfOperation addressOf:
                            Visit(addressOf, Role.Address, token: false);
                            return;
                        case IFieldReferenceOperation nested when ReferenceEquals(nested.Instance, member):
                            member = nested;
                            continue;
                        default:
                            return;
                    }
                }
            }

            private void AssignTo(IOperation target, IOperation assignment, Role role, bool token)
            {
                switch (target)
                {
                    case ILocalReferenceOperation local:
                        Hold(local.Local, role, token, assignment);
                        return;

                    case IParameterReferenceOperation parameter:
                        if (parameter.Parameter.RefKind is RefKind.Out or RefKind.Ref)
                        {
                            var how = parameter.Parameter.RefKind == RefKind.Out ? "out" : "ref";
                            AddSink(PinSinkKind.OutOrRefParameter, assignment, $"written to {how} parameter '{parameter.Parameter.Name}'", role);
                            if (parameter.Parameter.RefKind == RefKind.Out)
                            {
                                // The method may go on using it (return handle.AddrOfPinnedObject(), store it elsewhere,
                                // free it on a failure path): follow the parameter too.
                                Hold(parameter.Parameter, role, token, assignment);
                            }
                        }
                        else
                        {
                            Hold(parameter.Parameter, role, token, assignment);
                        }

                        return;

                    case IFieldReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: false } or IPropertyReferenceOperation { Instance.Type.IsUnmanagedType: true }
                        when ValueContainer(((IMemberReferenceOperation)target).Instance, role) is { } container:
                        // A field of a struct value (an iovec, a WSABUF, an ibv_sge being filled in): the struct now
                        // carries the address; follow the struct, not the field. The same for an element of an unmanaged
                        // struct with an indexer (FFmpeg.AutoGen's byte_ptr8 { [0] = p }): it has nowhere else to put it.
                        switch (container)
                        {
                            case ILocalReferenceOperation local:
                                Hold(local.Local, role, token, assignment);
                                break;
                            case IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter:
                                Hold(parameter.Parameter, role, token, assignment);
                                break;
                            default:
                                Visit(container, role, token);
                                break;
                        }

                        return;

                    case IFieldReferenceOperation stackField when role == Role.Address && StackBuffers.BufferOf(stackField, _function) is { } buffer:
                        // A struct in stackalloc'd memory (an array of native descriptors being filled in): the buffer
                        // carries the address, like a struct local does; follow the buffer (StackBuffers).
                        if (buffer is ILocalSymbol bufferLocal)
                        {
                            _stackBuffers.Carry(bufferLocal, stackField.Field);
                            Hold(bufferLocal, role, token, assignment);
                        }
                        else if (buffer is IParameterSymbol bufferParameter && PinScope() is { } scope
                            && StackBuffers.ConsumedInside(bufferParameter, assignment, scope, _function))
                        {
                            // The caller's memory, filled in for a call inside the fixed statement that reads it
                            // (ManagedEsent's PinColumnsAndRetrieve): a marshalling scratch area, not a place that keeps
                            // the pointer; its uses in this method are followed like the buffer's. For a helper's pointer
                            // parameter the scope is the helper's body: ManagedEsent's SetColumns(cols, i, buffer) fills
                            // cols[i].pvData and calls JetSetColumns(cols) (or the next column's SetColumns) before returning.
                            Hold(bufferParameter, role, token, writtenBy: null);
                        }
                        else
                        {
                            AddSink(PinSinkKind.Field, assignment, DescribeField(stackField.Field), role);
                        }

                        return;

                    case IFieldReferenceOperation field when IntoScratch(field.Instance):
                        // cols[i].pvData = p on a stackalloc'd or fixed-pinned local block not read after the statement.
                        return;

                    case IFieldReferenceOperation { Instance: IInstanceReferenceOperation } stackOwned when _useSummaries && !token
                        && OwnershipTransfers.StackOwnerReleases(stackOwned.Field, _site.Kind, _apis):
                        // A field of a ref struct that releases the pin it holds: the owner cannot leave the stack, and its
                        // Dispose ends the pin. The handle is handed to it; its address goes along.
                        if (role == Role.Handle)
                        {
                            Transfers.Add(assignment.Syntax);
                            ReleaseCount++;
                            AddSink(PinSinkKind.Handoff, assignment, $"held by the ref struct '{stackOwned.Field.ContainingType.Name}', which releases it", role);
                        }

                        return;

                    case IFieldReferenceOperation selfReference when role == Role.Address && _site.Kind == PinKind.Fixed && _useSummaries
                        && ParkedPointers.RootParameter(selfReference) is { } carrier
                        && SymbolEqualityComparer.Default.Equals(ParkedPointers.RootParameter(_site.Target), carrier)
                        && ParkedPointers.For(_apis.Compilation).IsCallersStackLocal(carrier):
                        // @ref.ConePointer = &@ref.Cone: the struct points into itself, and every caller passes a stack local
                        // of its own, which never moves; the address lives exactly as long as the memory it points to.
                        return;

                    case IFieldReferenceOperation parked when role == Role.Address && _site.Kind == PinKind.Fixed && _useSummaries
                        && ParkedPointers.For(_apis.Compilation).Storage(parked) is { } storage:
                        // output.dst = p on a struct handed to the native call: what reads the struct after the fixed
                        // statement reads other members or writes this one first (ParkedPointers). Its uses here are
                        // followed like a struct local's (a retaining call still keeps it).
                        Hold(storage, role, token, writtenBy: null);
                        return;

                    case IFieldReferenceOperation field:
                        AddSink(PinSinkKind.Field, assignment, DescribeField(field.Field), role);
                        if (role == Role.Handle && field.Instance is null or IInstanceReferenceOperation)
                        {
                            // A field of this instance may still be freed in this method: follow it for releases.
                            Hold(field.Field, role, token, assignment);
                        }

                        return;

                    case IPropertyReferenceOperation property:
                        if (property.Property.IsIndexer)
                        {
                            if (!ReleasedThrough(assignment, property.Instance, role, token))
                            {
                                AddSink(PinSinkKind.Collection, assignment, $"stored in {DescribeCollection(property.Instance)}", role);
                            }
                        }
                        else
                        {
                            AddSink(PinSinkKind.Property, assignment, $"stored in property '{property.Property.Name}'", role);
                        }

                        return;

                    case IArrayElementReferenceOperation element when IntoScratch(element):
                        return;

                    case IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation array } when _site.Kind is PinKind.ViewPointer or PinKind.MappedAddress:
                        // A local array of addresses handed on as a whole (an iovec or IntPtr[] table).
                        Hold(array.Local, role, token, assignment);
                        return;

                    case IArrayElementReferenceOperation element:
                        if (!ReleasedThrough(assignment, element.ArrayReference, role, token))
                        {
                            AddSink(PinSinkKind.ArrayElement, assignment, "stored in an array element", role);
                        }

                        return;

                    default:
                        if (target.Kind == OperationKind.None && target.Type is not null && !target.Type.IsRefLikeType && !IntoScratch(target))
                        {
                            AddSink(PinSinkKind.PointerTarget, assignment, "written through a pointer", role);
                        }

                        return;
                }
            }

            /// <summary>Where the pin lives: the <c>fixed</c> statement, or for a parameter followed by a summary the whole body.</summary>
            private SyntaxNode? PinScope()
                => _site.FixedStatement ?? (_site.Kind == PinKind.Fixed && ReferenceEquals(_site.Operation, _function.Body) ? _function.Body.Syntax : null);

            /// <summary>
            /// For a <c>fixed</c> pin: the write goes into scratch memory of this method — a local array created here, a
            /// <c>stackalloc</c> block, or an enclosing or sibling <c>fixed</c> over such an array — that is not read after
            /// the statement ends (DESIGN.md, PIN2001). The address never outlives its pin there.
            /// </summary>
            private bool IntoScratch(IOperation? storage)
            {
                if (_site.Kind != PinKind.Fixed)
                {
                    return false;
                }

                storage = storage.WalkDownConversions();
                var local = storage switch
                {
                    IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation array } => array.Local,
                    { Kind: OperationKind.None } when storage.ChildOperations.Count > 0 && storage.ChildOperations.First().WalkDownConversions() is ILocalReferenceOperation pointer => pointer.Local,
                    _ => null,
                };

                if (local is not null && PinnedFieldArray(local) is { } field)
                {
                    return _site.FixedStatement is { } statement && FieldArrayReadOnlyWithin(field, statement);
                }

                var memory = local is null ? null : ScratchMemory(local);
                return memory is not null && !FixedScope.IsReadAfter(_site, memory, _function)
                    && (SymbolEqualityComparer.Default.Equals(memory, local) || local!.IsFixed || !FixedScope.IsReadAfter(_site, local!, _function));
            }

            /// <summary>
            /// For a fixed local over a private array field of this type (<c>fixed (IntPtr* sorted = &amp;sortedInfos[0])</c>,
            /// <c>fixed (IntPtr* sorted = sortedInfos)</c>): that field; else null.
            /// </summary>
            private static IFieldSymbol? PinnedFieldArray(ILocalSymbol local)
            {
                if (!local.IsFixed || local.DeclaringSyntaxReferences.Length != 1
                    || local.DeclaringSyntaxReferences[0].GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: var value })
                {
                    return null;
                }

                if (value is Microsoft.CodeAnalysis.CSharp.Syntax.PrefixUnaryExpressionSyntax { Operand: Microsoft.CodeAnalysis.CSharp.Syntax.ElementAccessExpressionSyntax element }
                    && value.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.AddressOfExpression))
                {
                    value = element.Expression;
                }

                var name = value switch
                {
                    Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.ThisExpressionSyntax } member => member.Name.Identifier.ValueText,
                    _ => null,
                };

                if (name is null || local.ContainingType is not { } type)
                {
                    return null;
                }

                foreach (var candidate in type.GetMembers(name))
                {
                    if (candidate is IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Private, Type: IArrayTypeSymbol } field)
                    {
                        return field;
                    }
                }

                return null;
            }

            /// <summary>
            /// True when every use of the private array field in its type that could read its elements lies inside
            /// <paramref name="statement"/>: elsewhere the field is only assigned, resized (<c>Array.Resize(ref f, n)</c>)
            /// or asked its <c>Length</c> (FNA's SpriteBatch sorts sprite addresses in a field array pinned by a sibling
            /// <c>fixed</c> and reads them only there). By syntax over the type's declarations.
            /// </summary>
            private static bool FieldArrayReadOnlyWithin(IFieldSymbol field, SyntaxNode statement)
            {
                foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
                {
                    foreach (var node in reference.GetSyntax().DescendantNodes())
                    {
                        if (node is not Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax identifier || identifier.Identifier.ValueText != field.Name
                            || (node.SyntaxTree == statement.SyntaxTree && statement.Span.Contains(node.Span)))
                        {
                            continue;
                        }

                        SyntaxNode use = identifier.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.ThisExpressionSyntax } qualified
                            && qualified.Name == identifier ? qualified : identifier;
                        var harmless = use.Parent switch
                        {
                            Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax => true,
                            Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment => assignment.Left == use && assignment.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression),
                            Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax length => length.Expression == use && length.Name.Identifier.ValueText is "Length" or "LongLength",
                            Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { RefKindKeyword.RawKind: not 0, Parent.Parent: Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Resize" } } } => true,
                            _ => false,
                        };

                        if (!harmless)
                        {
                            return false;
                        }
                    }
                }

                return true;
            }

            /// <summary>The local that owns the scratch block <paramref name="local"/> points into, or null when it is not scratch.</summary>
            private ILocalSymbol? ScratchMemory(ILocalSymbol local)
            {
                foreach (var reference in local.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: var value })
                    {
                        return null;
                    }

                    if (local.Type is IArrayTypeSymbol)
                    {
                        return value is Microsoft.CodeAnalysis.CSharp.Syntax.ArrayCreationExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ImplicitArrayCreationExpressionSyntax
                            && !Reassigned(local) ? local : null;
                    }

                    if (local.Type is not IPointerTypeSymbol)
                    {
                        return null;
                    }

                    if (value is Microsoft.CodeAnalysis.CSharp.Syntax.StackAllocArrayCreationExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ImplicitStackAllocArrayCreationExpressionSyntax)
                    {
                        return Reassigned(local) ? null : local;
                    }

                    if (local.IsFixed && value is Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax pinned)
                    {
                        // fixed (IntPtr* pp = ptrs): the block is ptrs, if ptrs is a scratch array of this function.
                        foreach (var candidate in _function.Body.Descendants())
                        {
                            if (candidate is IVariableDeclaratorOperation { Symbol: { } array } && array.Name == pinned.Identifier.ValueText && array.Type is IArrayTypeSymbol
                                && candidate.Syntax.SpanStart < value.SpanStart)
                            {
                                return ScratchMemory(array) is { } owner && !ReferenceEquals(owner, local) ? owner : null;
                            }
                        }
                    }

                    var aliased = value;
                    while (aliased is Microsoft.CodeAnalysis.CSharp.Syntax.CastExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedExpressionSyntax)
                    {
                        aliased = aliased is Microsoft.CodeAnalysis.CSharp.Syntax.CastExpressionSyntax cast ? cast.Expression : ((Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedExpressionSyntax)aliased).Expression;
                    }

                    if (!local.IsFixed && aliased != value && aliased is Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax block && !Reassigned(local))
                    {
                        // var values = (void**)optionValues, where optionValues is stackalloc'd (ILGPU's NVVM options): the
                        // same block under another pointer type.
                        foreach (var candidate in _function.Body.Descendants())
                        {
                            if (candidate is IVariableDeclaratorOperation { Symbol: { Type: IPointerTypeSymbol } other } && other.Name == block.Identifier.ValueText
                                && candidate.Syntax.SpanStart < value.SpanStart && !SymbolEqualityComparer.Default.Equals(other, local))
                            {
                                return ScratchMemory(other) is { } owner && !SymbolEqualityComparer.Default.Equals(owner, local) ? owner : null;
                            }
                        }
                    }

                    return null;
                }

                return null;
            }

            private bool Reassigned(ILocalSymbol local)
            {
                foreach (var reference in _function.ReferencesTo(local))
                {
                    if (IsWrite(reference) || reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref })
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// For a member assigned on a struct held by this function — a struct local, a by-value struct parameter, or
            /// a struct being created with an object initializer — the operation standing for that struct; else null.
            /// </summary>
            private IOperation? ValueContainer(IOperation? instance, Role role)
            {
                if (_site.Kind is PinKind.ViewPointer or PinKind.MappedAddress && ElementContainer(instance) is { } buffer)
                {
                    // iovs[i].iov_base = p on a local iovec array or stackalloc buffer: the buffer carries the address.
                    return buffer;
                }

                switch (instance)
                {
                    case ILocalReferenceOperation { Type.IsValueType: true } local:
                        return local;
                    case IParameterReferenceOperation { Type.IsValueType: true, Parameter.RefKind: RefKind.None } parameter:
                        return parameter;
                    case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } receiver when role == Role.Address || receiver.Type?.IsValueType == true:
                        // An object initializer: the object being built carries the address (a class object too; a handle
                        // stored in a class object's field stays a field store).
                        for (var current = receiver.Parent; current is not null; current = current.Parent)
                        {
                            if (current is IObjectCreationOperation or IAnonymousObjectCreationOperation)
                            {
                                return current;
                            }
                        }

                        return null;
                    default:
                        return null;
                }
            }

            /// <summary>For an element of a local array or a local pointer (<c>iovs[i]</c>, <c>*iovs</c>): the local.</summary>
            private static IOperation? ElementContainer(IOperation? instance)
            {
                switch (instance)
                {
                    case IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation array }:
                        return array;
                    case { Kind: OperationKind.None, Type.IsValueType: true } element:
                        foreach (var child in element.ChildOperations)
                        {
                            if (child.WalkDownConversions() is ILocalReferenceOperation { Type: IPointerTypeSymbol } pointer)
                            {
                                return pointer;
                            }

                            break;
                        }

                        return null;
                    default:
                        return null;
                }
            }

            private void Hold(ISymbol holder, Role role, bool token, IOperation? writtenBy)
            {
                if (holder is ILocalSymbol { Type: { IsValueType: true } and not IPointerTypeSymbol } value)
                {
                    // A struct local given the address in one field (settings.MatrixPointer = p) carries it in that field
                    // only; given it any other way, the whole value carries it (StackBuffers.HarmlessReads).
                    if (writtenBy is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: ILocalReferenceOperation instance } field }
                        && SymbolEqualityComparer.Default.Equals(instance.Local, value))
                    {
                        _stackBuffers.Carry(value, field.Field);
                    }
                    else
                    {
                        _stackBuffers.CarryWhole(value);
                    }
                }

                if (writtenBy is not null && _site.FixedStatement is { } statement && holder is ILocalSymbol outer
                    && !statement.Span.Contains(outer.DeclaringSyntaxReferences.Length > 0 ? outer.DeclaringSyntaxReferences[0].Span : default)
                    && FixedScope.IsReadAfter(_site, outer, _function, _stackBuffers.HarmlessReads(outer)))
                {
                    // A local from outside the fixed statement that is read after it ends holds a dangling pointer.
                    AddSink(PinSinkKind.OuterLocal, writtenBy, $"written to '{outer.Name}', which is read after the fixed statement ends", role);
                }

                var set = role == Role.Handle ? (token ? Tokens : HandleHolders) : _addressHolders;
                if (!set.Add(holder))
                {
                    return;
                }

                foreach (var reference in _function.ReferencesTo(holder))
                {
                    if (holder is ILocalSymbol or IParameterSymbol && _function.NestedFunctionOf(reference) is { } nested && !IsDeclaredIn(holder, nested))
                    {
                        if (EscapingFunction(reference) is { } escaping)
                        {
                            var by = escaping is ILocalFunctionOperation localFunction
                                ? $"captured by local function '{localFunction.Symbol.Name}'"
                                : "captured by a lambda";
                            AddSink(PinSinkKind.Capture, reference, by, role);
                            continue;
                        }

                        // Captured only by functions that run in place (retry(() => read(fd, p, n))): a use like any other.
                    }

                    if (IsWrite(reference))
                    {
                        continue;
                    }

                    if (_site.FixedStatement is { } fixedStatement && !fixedStatement.Span.Contains(reference.Syntax.Span))
                    {
                        // After the fixed statement, the outer-local sink already says the pointer outlived its pin.
                        continue;
                    }

                    Visit(reference, role, token);
                }
            }

            private void PassedAsArgument(IArgumentOperation argument, Role role, bool token)
            {
                var parameter = argument.Parameter;
                IMethodSymbol? method;
                IOperation call;
                IOperation? instance = null;
                switch (argument.Parent)
                {
                    case IInvocationOperation invocation:
                        method = invocation.TargetMethod;
                        instance = invocation.Instance;
                        call = invocation;
                        break;
                    case IObjectCreationOperation creation:
                        method = creation.Constructor;
                        call = creation;
                        break;
                    default:
                        return;
                }

                if (method is null)
                {
                    return;
                }

                if (parameter is not null && parameter.RefKind is RefKind.Out)
                {
                    // The callee writes the holder; the old value is not passed.
                    return;
                }

                if (role == Role.Handle)
                {
                    if (PinApis.Is(method, _apis.GCHandleToIntPtr) || (method.Name == "ToIntPtr" && _apis.IsPinnedGCHandle(method.ContainingType)))
                    {
                        Visit(call, Role.Handle, token: true);
                        return;
                    }

                    if (token && (PinApis.Is(method, _apis.GCHandleFromIntPtr) || (method.Name == "FromIntPtr" && _apis.IsPinnedGCHandle(method.ContainingType))))
                    {
                        Visit(call, Role.Handle, token: false);
                        return;
                    }

                    if (!token && method.IsStatic && SymbolEqualityComparer.Default.Equals(method.ContainingType, _apis.GCHandleExtensions))
                    {
                        // GetAddressOfArrayData / GetAddressOfStringData.
                        Visit(call, Role.Address, token: false);
                        return;
                    }
                }

                if (role == Role.Address && _site.Kind == PinKind.Fixed && IsTrackedReferenceFromPointer(method, parameter)
                    && call.Parent is not IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "AsPointer" } })
                {
                    // ref Unsafe.AsRef<T>(p): the result is a managed reference, which the GC reports and updates when
                    // it moves the object; it stays valid after the fixed statement ends (FASTER's
                    // `fixed (byte* p = span) return ref Unsafe.AsRef<SpanByte>(p);`). A pointer taken back from it is
                    // PIN2003's business; Unsafe.AsPointer(ref Unsafe.AsRef<T>(p)) right away is the same address.
                    return;
                }

                if ((role == Role.Address || token) && IsDerivingCall(method))
                {
                    Visit(call, Role.Address, token: false);
                    return;
                }

                if (_useSummaries && role == Role.Address && call is IObjectCreationOperation && PinSummaries.For(_apis).Stores(method, parameter))
                {
                    // new SpanByte(len, (IntPtr)p): a constructor of the compilation that stores the address; the value carries it.
                    Visit(call, Role.Address, token: false);
                    return;
                }

                if (_options.IsRetaining(method, parameter, call))
                {
                    AddSink(PinSinkKind.RetainingCall, argument, $"passed to '{method.Name}', which keeps it", role);
                    return;
                }

                if (_useSummaries && (role == Role.Address || token) && PinSummaries.For(_apis).Keeps(method, parameter))
                {
                    // A helper of the compilation that stores the pointer, captures it in a continuation or hands it on
                    // to a retaining call (one level).
                    AddSink(PinSinkKind.RetainingCall, argument, $"passed to '{method.Name}', which keeps it", role);
                    return;
                }

                if (_useSummaries && role == Role.Handle && !token && call is IInvocationOperation
                    && !(instance?.Type is INamedTypeSymbol receiverType && ContainerRelease.For(_apis.Compilation).IsAggregate(receiverType, _site.Kind, _apis))
                    && PinSummaries.For(_apis).KeepsHandle(method, parameter, _site.Kind))
                {
                    // AddPinnedData(pinned): a helper of the compilation that stores the handle in a field or a field's
                    // collection (imageflow's JobContext): the pin lives as long as the object does. An aggregate's own
                    // Add (a type whose Dispose releases every element) is judged below, by who disposes the aggregate.
                    AddSink(PinSinkKind.RetainingCall, argument, $"passed to '{method.Name}', which keeps it", role);
                    return;
                }

                if (_useSummaries && role == Role.Handle && !token && OwnershipTransfers.Adopts(method, parameter, _site.Kind, _apis))
                {
                    // new PreparedVectorData(pin, array, n): an object of the compilation that stores the handle and frees it
                    // owns the pin from here; the hand-over is its release on this path.
                    Transfers.Add(call.Syntax);
                    ReleaseCount++;
                    AddSink(PinSinkKind.Handoff, argument, $"handed to a new '{(method.MethodKind == MethodKind.Constructor ? method.ContainingType.Name : method.Name)}', which frees it", role);
                    return;
                }

                if (_site.Kind == PinKind.Owner && role == Role.Handle && call is IObjectCreationOperation)
                {
                    // The owner handed to another object's constructor: that object owns it now (its type is judged where
                    // it keeps the owner).
                    AddSink(PinSinkKind.Handoff, argument, $"handed to a new '{call.Type?.Name}'", role);
                    return;
                }

                if (instance is not null && IsCollectionAdd(method, instance))
                {
                    if (!ReleasedThrough(call, instance, role, token))
                    {
                        AddSink(PinSinkKind.Collection, argument, $"added to {DescribeCollection(instance)}", role);
                    }
                }
                else if (instance?.Type is INamedTypeSymbol aggregate && role == Role.Handle && !method.IsStatic && IsAddName(method.Name)
                    && ContainerRelease.For(_apis.Compilation).IsAggregate(aggregate, _site.Kind, _apis))
                {
                    // pins.Add(handle) on a type whose Dispose releases every element it holds.
                    if (!ReleasedThrough(call, instance, role, token))
                    {
                        if (CallerOwns(instance))
                        {
                            // The caller's aggregate (a parameter), or one this method returns: the caller disposes it, and
                            // with it the pin (LLamaSharp's GroupDisposable). Like an out-parameter factory.
                            Transfers.Add(call.Syntax);
                            ReleaseCount++;
                            AddSink(PinSinkKind.Handoff, argument, $"handed to '{instance.ReferencedSymbol()?.Name}', which the caller disposes", role);
                        }
                        else if (instance.WalkDownConversions() is IFieldReferenceOperation or IPropertyReferenceOperation)
                        {
                            // An aggregate the object keeps: the pin lives as long as it does.
                            AddSink(PinSinkKind.Collection, argument, $"added to {DescribeCollection(instance)}", role);
                        }
                    }
                }
            }

            /// <summary>
            /// The aggregate belongs to the caller: a by-value parameter, or a local of this method that it returns (and does
            /// not otherwise let go of: stored, captured, passed on).
            /// </summary>
            private bool CallerOwns(IOperation instance)
            {
                switch (instance.WalkDownConversions())
                {
                    case IParameterReferenceOperation { Parameter.RefKind: RefKind.None }:
                        return true;
                    case ILocalReferenceOperation { Local: var local }:
                        var returned = false;
                        foreach (var reference in _function.ReferencesTo(local))
                        {
                            var parent = reference.Parent;
                            while (parent is IConversionOperation or IParenthesizedOperation)
                            {
                                parent = parent.Parent;
                            }

                            switch (parent)
                            {
                                case IReturnOperation { Kind: OperationKind.Return } when _function.NestedFunctionOf(reference) is null:
                                    returned = true;
                                    break;
                                case IInvocationOperation call when ReferenceEquals(call.Instance.WalkDownConversions(), reference):
                                case IVariableDeclaratorOperation:
                                    break;
                                case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                                    break;
                                case IArgumentOperation { Parameter.Type: var parameterType } when parameterType is not null
                                    && SymbolEqualityComparer.Default.Equals(parameterType.OriginalDefinition, local.Type.OriginalDefinition):
                                    // Handed to a helper that adds more (LLamaSharp's ConvertOverrides(…, disposer)).
                                    break;
                                default:
                                    return false;
                            }
                        }

                        return returned;
                    default:
                        return false;
                }
            }

            private void CalledOn(IInvocationOperation invocation, Role role)
            {
                var method = invocation.TargetMethod;
                if (role == Role.Handle)
                {
                    if (IsRelease(method))
                    {
                        ReleaseCount++;
                    }
                    else if (PinApis.Is(method, _apis.GCHandleAddrOfPinnedObject) || method.Name is "GetAddressOfObjectData")
                    {
                        Visit(invocation, Role.Address, token: false);
                    }

                    return;
                }

                if (IsAddressLike(invocation.Type))
                {
                    Visit(invocation, Role.Address, token: false);
                }
            }

            private static bool IsNullableValue(IOperation value)
                => value.Type?.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

            /// <summary>The <c>?.</c> receiver placeholder of <paramref name="access"/> itself (not of a nested access).</summary>
            private static IConditionalAccessInstanceOperation? ConditionalInstanceOf(IConditionalAccessOperation access)
            {
                foreach (var descendant in access.WhenNotNull.SelfAndDescendants())
                {
                    if (descendant is IConditionalAccessInstanceOperation instance)
                    {
                        var owner = instance.Parent;
                        while (owner is not null && owner is not IConditionalAccessOperation)
                        {
                            owner = owner.Parent;
                        }

                        if (ReferenceEquals(owner, access))
                        {
                            return instance;
                        }
                    }
                }

                return null;
            }

            private bool IsRelease(IMethodSymbol method)
                => _site.Kind == PinKind.Owner ? _site.Owner?.IsRelease(method) == true : _apis.IsRelease(_site.Kind, method);

            /// <summary>
            /// Pointer or <c>IntPtr</c> arithmetic that yields an address (<c>p + n</c>, <c>(long)p + n</c>); not the
            /// difference of two pointers, which is an offset, nor a comparison.
            /// </summary>
            private bool IsDerivedArithmetic(IBinaryOperation binary)
            {
                if (binary.LeftOperand.Type is IPointerTypeSymbol && binary.RightOperand.Type is IPointerTypeSymbol)
                {
                    return false;
                }

                if (binary.OperatorKind == BinaryOperatorKind.Subtract
                    && IsAddressLike(binary.LeftOperand.WalkDownConversions()?.Type) && IsAddressLike(binary.RightOperand.WalkDownConversions()?.Type))
                {
                    // (long)p - (long)origin: the distance between two addresses is an offset, whatever its type.
                    return false;
                }

                return IsAddressLike(binary.Type) || binary.Type?.SpecialType is SpecialType.System_Int64 or SpecialType.System_UInt64;
            }

            /// <summary><c>Unsafe.AsRef&lt;T&gt;(void*)</c>: turns an address into a GC-tracked reference.</summary>
            private bool IsTrackedReferenceFromPointer(IMethodSymbol method, IParameterSymbol? parameter)
                => method.ReturnsByRef && method.Name == "AsRef" && parameter?.Type is IPointerTypeSymbol
                    && SymbolEqualityComparer.Default.Equals(method.ContainingType, _apis.Unsafe);

            /// <summary>Calls whose result is the same address: pointer and <c>IntPtr</c> arithmetic, casts, spans over it.</summary>
            private bool IsDerivingCall(IMethodSymbol method)
            {
                var type = method.ContainingType;
                if (method.MethodKind == MethodKind.Constructor)
                {
                    return IsAddressLike(type);
                }

                if (method.ReturnsByRef && (SymbolEqualityComparer.Default.Equals(type, _apis.MemoryMarshal) || SymbolEqualityComparer.Default.Equals(type, _apis.Unsafe)))
                {
                    // ref MemoryMarshal.GetReference(span), ref Unsafe.Add(ref r, n): a reference into the same memory.
                    return true;
                }

                if (!IsAddressLike(method.ReturnType) && method.ReturnType.SpecialType is not (SpecialType.System_Int64 or SpecialType.System_UInt64))
                {
                    return false;
                }

                return SymbolEqualityComparer.Default.Equals(type, _apis.IntPtr)
                    || SymbolEqualityComparer.Default.Equals(type, _apis.UIntPtr)
                    || SymbolEqualityComparer.Default.Equals(type, _apis.Unsafe);
            }

            private bool IsAddressLike(ITypeSymbol? type)
            {
                if (type is null)
                {
                    return false;
                }

                if (type is IPointerTypeSymbol or IFunctionPointerTypeSymbol)
                {
                    return true;
                }

                if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
                {
                    return true;
                }

                return type is INamedTypeSymbol named
                    && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, _apis.Span)
                        || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, _apis.ReadOnlySpan));
            }

            private static bool IsAddName(string name)
                => name is "Add" or "Insert" or "Push" or "Enqueue" or "TryAdd" or "AddFirst" or "AddLast" or "GetOrAdd" or "AddOrUpdate" or "Set" or "SetValue" or "Append" or "Prepend";

            private bool IsCollectionAdd(IMethodSymbol method, IOperation instance)
            {
                if (method.IsStatic || !IsAddName(method.Name))
                {
                    return false;
                }

                var type = instance.Type;
                if (type is null)
                {
                    return false;
                }

                foreach (var candidate in type.AllInterfaces)
                {
                    var definition = candidate.OriginalDefinition;
                    if (SymbolEqualityComparer.Default.Equals(definition, _apis.ICollection)
                        || SymbolEqualityComparer.Default.Equals(definition, _apis.IList)
                        || SymbolEqualityComparer.Default.Equals(definition, _apis.IDictionary)
                        || SymbolEqualityComparer.Default.Equals(definition, _apis.IProducerConsumerCollection))
                    {
                        return true;
                    }
                }

                return false;
            }

            private void AddSink(PinSinkKind kind, IOperation operation, string description, Role role)
            {
                if (_sinkOperations.Add(operation))
                {
                    Sinks.Add(new PinSink(kind, operation, description, role == Role.Address));
                }
            }

            /// <summary>
            /// The innermost lambda or local function between <paramref name="reference"/> and this function that may run
            /// after the code that made it moves on (stored, returned, handed to a call that keeps or defers it); null when
            /// every one of them runs in place (<see cref="SynchronousDelegates"/>).
            /// </summary>
            private IOperation? EscapingFunction(IOperation reference)
            {
                for (var current = reference.Parent; current is not null && !ReferenceEquals(current, _function.Function) && !ReferenceEquals(current, _function.Body); current = current.Parent)
                {
                    if (current is IAnonymousFunctionOperation or ILocalFunctionOperation && !_apis.Delegates.RunsInPlace(current, _function))
                    {
                        return current;
                    }
                }

                return null;
            }

            private static bool IsDeclaredIn(ISymbol holder, IOperation nestedFunction)
            {
                var owner = nestedFunction switch
                {
                    IAnonymousFunctionOperation lambda => lambda.Symbol,
                    ILocalFunctionOperation localFunction => localFunction.Symbol,
                    _ => null,
                };

                // A local of a function nested inside the capturing one is declared in it as well.
                for (var symbol = holder.ContainingSymbol; symbol is not null; symbol = symbol.ContainingSymbol)
                {
                    if (SymbolEqualityComparer.Default.Equals(symbol, owner))
                    {
                        return true;
                    }

                    if (symbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
                    {
                        return false;
                    }
                }

                return false;
            }

            private static bool IsWrite(IOperation reference)
            {
                var parent = reference.Parent;
                return parent switch
                {
                    ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Target, reference),
                    IDeconstructionAssignmentOperation deconstruction => !ReferenceEquals(deconstruction.Value, reference),
                    IArgumentOperation { Parameter.RefKind: RefKind.Out } => true,
                    ITupleOperation { Parent: IDeconstructionAssignmentOperation } => true,
                    _ => false,
                };
            }

            private static string DescribeField(IFieldSymbol field)
                => field.IsStatic ? $"stored in static field '{field.Name}'" : $"stored in field '{field.Name}'";

            private static string DescribeCollection(IOperation? instance)
            {
                var name = instance.ReferencedSymbol()?.Name;
                return name is null ? "a collection" : $"collection '{name}'";
            }
        }
    }
}
