using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>What kind of request a retaining call starts, which decides the calls that finish it.</summary>
    internal enum RequestKind
    {
        /// <summary>Windows overlapped I/O: finished by <c>GetOverlappedResult</c> on the same <c>OVERLAPPED</c>.</summary>
        Overlapped,

        /// <summary>POSIX <c>aio_read</c>/<c>aio_write</c>: finished by <c>aio_suspend</c> or an <c>aio_error</c> loop on the same control block.</summary>
        Aio,

        /// <summary>An <c>io_uring_prep_*</c> submission: finished by waiting for a completion on the same ring.</summary>
        IoUring,

        /// <summary>A memory registration (<c>ibv_reg_mr</c>, <c>io_uring_register_buffers</c>): finished by its deregistration.</summary>
        Registration,

        /// <summary>A call that returns the task doing the I/O: finished by a blocking wait on (or <c>await</c> of) that task.</summary>
        Task,
    }

    /// <summary>What one operation says about the request when it runs (or when a condition has a given value).</summary>
    internal enum RequestFact
    {
        None,

        /// <summary>The request is finished: the kernel, device or task no longer uses the buffer.</summary>
        Complete,

        /// <summary>The request's <c>OVERLAPPED</c> event was waited for; a <c>GetOverlappedResult</c> after it finishes the request.</summary>
        EventSignaled,
    }

    /// <summary>
    /// The request a retaining call starts (an overlapped read, an <c>aio_read</c>, an io_uring submission, a registration,
    /// a task) and the calls that finish it: a wait for completion, a synchronous-completion result, a deregistration.
    /// A wait counts only when it is tied to the same request — the same <c>OVERLAPPED</c> (local, field or address), its
    /// event, the same control block, ring, registration or task; an unrelated wait does not finish anything.
    /// See docs/rules/PIN2002.md, "What it does not report".
    /// </summary>
    /// <remarks>
    /// Identity is by symbol path: <c>&amp;ov</c>, <c>ov</c> and a pointer local initialized with <c>&amp;ov</c> are the same
    /// request; <c>&amp;state.Overlapped</c> is <c>state</c>, <c>Overlapped</c>. Flow-insensitive facts (aliases, the value
    /// a local holds, the event stored into the <c>OVERLAPPED</c>) come from the function's operation tree; the paths
    /// themselves are walked by <see cref="CompletionPaths"/> on the control-flow graph.
    /// </remarks>
    internal sealed class AsyncRequest
    {
        /// <summary>Overlapped calls whose BOOL result is TRUE exactly when the I/O completed synchronously.</summary>
        private static readonly ImmutableHashSet<string> s_trueWhenDone = ImmutableHashSet.Create(
            StringComparer.Ordinal, "ReadFile", "WriteFile", "DeviceIoControl", "ConnectNamedPipe", "AcceptEx", "TransmitFile", "LockFileEx", "TransactNamedPipe");

        /// <summary>Winsock overlapped calls that return 0 exactly when the I/O completed synchronously (else SOCKET_ERROR).</summary>
        private static readonly ImmutableHashSet<string> s_zeroWhenDone = ImmutableHashSet.Create(
            StringComparer.Ordinal, "WSARecv", "WSASend", "WSARecvFrom", "WSASendTo", "WSAIoctl");

        private static readonly ImmutableHashSet<string> s_aio = ImmutableHashSet.Create(
            StringComparer.Ordinal, "aio_read", "aio_write", "aio_read64", "aio_write64");

        private static readonly ImmutableHashSet<string> s_memoryRegistrations = ImmutableHashSet.Create(
            StringComparer.Ordinal, "ibv_reg_mr", "ibv_reg_mr_iova", "ibv_reg_mr_iova2");

        private static readonly ImmutableHashSet<string> s_ringRegistrations = ImmutableHashSet.Create(
            StringComparer.Ordinal, "io_uring_register_buffers", "io_uring_register_buffers_tags", "io_uring_register_buffers_sparse");

        private readonly FunctionValues _values;
        private readonly SyntaxNode _callSyntax;
        private readonly Reporter? _callReports;
        private readonly Dictionary<ISymbol, Reporter?> _localReporters = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> _resolving = new(SymbolEqualityComparer.Default);
        private ImmutableHashSet<ISymbol>? _eventRoots;
        private ImmutableHashSet<ISymbol>? _listRoots;

        private AsyncRequest(RequestKind kind, IInvocationOperation call, ImmutableArray<ISymbol> key, Reporter? callReports, FunctionValues values)
        {
            Kind = kind;
            Key = key;
            _callSyntax = call.Syntax;
            _callReports = callReports;
            _values = values;
        }

        internal RequestKind Kind { get; }

        /// <summary>The symbol path that names the request (the OVERLAPPED, control block, ring, registration or task); default when unknown.</summary>
        internal ImmutableArray<ISymbol> Key { get; }

        /// <summary>The start of the message tail: "the I/O may still be pending".</summary>
        internal string StillRunning => Kind switch
        {
            RequestKind.Registration => "the registration may still be active",
            RequestKind.Task => "the task may still be running",
            _ => "the I/O may still be pending",
        };

        /// <summary>The request made by the retaining call that <paramref name="sink"/> is an argument of; null when it has none we know.</summary>
        internal static AsyncRequest? Of(IArgumentOperation sink, FunctionValues values)
        {
            if (sink.Parent is not IInvocationOperation call)
            {
                return null;
            }

            var method = call.TargetMethod;
            var name = method.Name;
            if (OverlappedArgument(call) is { } overlapped)
            {
                if (IsNull(overlapped.Value))
                {
                    return null;
                }

                Reporter? reports = null;
                if (s_trueWhenDone.Contains(name))
                {
                    reports = method.ReturnType.SpecialType == SpecialType.System_Boolean ? Reporter.TrueWhenDone : Reporter.NonZeroWhenDone;
                }
                else if (s_zeroWhenDone.Contains(name))
                {
                    reports = Reporter.ZeroWhenDone;
                }

                return new AsyncRequest(RequestKind.Overlapped, call, values.Key(overlapped.Value), reports, values);
            }

            // For the rest, the call's own result may say that nothing was started: aio_read returns -1 when the request
            // was not queued, io_uring_register_buffers a negative error, ibv_reg_mr NULL.
            if (s_aio.Contains(name) && call.Arguments.Length > 0)
            {
                return new AsyncRequest(RequestKind.Aio, call, values.Key(Argument(call, 0)), Reporter.NonZeroWhenDone, values);
            }

            if (name.StartsWith("io_uring_prep_", StringComparison.Ordinal) && call.Arguments.Length > 0)
            {
                return new AsyncRequest(RequestKind.IoUring, call, values.RingOfSubmission(Argument(call, 0)), null, values);
            }

            if (s_ringRegistrations.Contains(name) && call.Arguments.Length > 0)
            {
                return new AsyncRequest(RequestKind.Registration, call, values.Key(Argument(call, 0)), Reporter.NonZeroWhenDone, values);
            }

            if (s_memoryRegistrations.Contains(name))
            {
                return new AsyncRequest(RequestKind.Registration, call, values.ResultHolder(call), Reporter.NullWhenNotStarted, values);
            }

            if (IsTaskLike(method.ReturnType))
            {
                return new AsyncRequest(RequestKind.Task, call, values.ResultHolder(call), null, values);
            }

            return null;
        }

        /// <summary>True when <paramref name="operation"/> is the retaining call itself (in the operation tree or the graph).</summary>
        internal bool IsCall(IOperation? operation)
            => operation is IInvocationOperation && ReferenceEquals(operation.Syntax, _callSyntax);

        /// <summary>True when <paramref name="operation"/>, or one of its descendants, is the retaining call.</summary>
        internal bool Contains(IOperation operation)
        {
            foreach (var current in operation.SelfAndDescendants())
            {
                if (IsCall(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// What running <paramref name="operation"/> (the whole statement) does to the request: a wait that finishes it, or
        /// a wait on its event. <paramref name="eventSignaled"/>: the event was already waited for on this path.
        /// </summary>
        internal RequestFact Step(IOperation operation, bool eventSignaled)
        {
            var signaled = false;
            foreach (var current in operation.SelfAndDescendants())
            {
                if (current is IFlowAnonymousFunctionOperation)
                {
                    continue;
                }

                var fact = StepOf(current, eventSignaled || signaled);
                if (fact == RequestFact.Complete)
                {
                    return fact;
                }

                signaled |= fact == RequestFact.EventSignaled;
            }

            return signaled ? RequestFact.EventSignaled : RequestFact.None;
        }

        /// <summary>
        /// For a branch condition: the fact that holds when it has the returned value — the call reported synchronous
        /// completion, <c>GetOverlappedResult</c> returned TRUE, <c>aio_error</c> is no longer <c>EINPROGRESS</c>, the last
        /// error is not <c>ERROR_IO_PENDING</c> (the call failed: nothing is pending), a bounded wait succeeded.
        /// </summary>
        internal (RequestFact Fact, bool When)? Condition(IOperation condition)
        {
            var when = true;
            var current = _values.Strip(condition);
            while (current is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                when = !when;
                current = _values.Strip(not.Operand);
            }

            switch (current)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison:
                    {
                        var equals = comparison.OperatorKind == BinaryOperatorKind.Equals;
                        if (IsConstant(comparison.RightOperand))
                        {
                            return Compare(comparison.LeftOperand, comparison.RightOperand, equals ? when : !when);
                        }

                        if (IsConstant(comparison.LeftOperand))
                        {
                            return Compare(comparison.RightOperand, comparison.LeftOperand, equals ? when : !when);
                        }

                        return null;
                    }

                case IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern:
                    return Compare(pattern.Value, constant.Value, when);

                case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation negated } } notPattern:
                    return Compare(notPattern.Value, negated.Value, !when);

                default:
                    return ReporterOf(current) is { IsBoolean: true } reporter ? (reporter.Fact, when) : null;
            }
        }

        /// <summary>For <c>value == constant</c> having the value <paramref name="equalWhen"/>: the fact that then holds.</summary>
        private (RequestFact Fact, bool When)? Compare(IOperation value, IOperation constant, bool equalWhen)
        {
            var reporter = ReporterOf(value);
            if (reporter is null)
            {
                return null;
            }

            var constantValue = constant.WalkDownConversions()?.ConstantValue ?? default;
            if (reporter.IsBoolean)
            {
                // ReadFile(...) == false
                return constantValue.HasValue && constantValue.Value is bool flag ? (reporter.Fact, flag ? equalWhen : !equalWhen) : null;
            }

            long number;
            if (IsNull(constant))
            {
                // mr == IntPtr.Zero, p == null
                number = 0;
            }
            else if (!constantValue.HasValue || !TryGetInteger(constantValue.Value, out number))
            {
                return null;
            }

            var name = constant.WalkDownConversions() switch
            {
                IFieldReferenceOperation field => field.Field.Name,
                ILocalReferenceOperation local => local.Local.Name,
                _ => null,
            };

            switch (reporter.Meaning(number, name))
            {
                case CodeMeaning.Fact:
                    return (reporter.Fact, equalWhen);
                case CodeMeaning.OnlyNotFact:
                    return (reporter.Fact, !equalWhen);
                default:
                    return null;
            }
        }

        private static bool IsConstant(IOperation operand) => operand.ConstantValue.HasValue || IsNull(operand);

        /// <summary>
        /// True when <paramref name="operation"/>, the statement that holds the retaining call, also waits for it there:
        /// <c>await ReadAsync(p)</c>, <c>ReadAsync(p).Wait()</c>, <c>.Result</c>, <c>.GetAwaiter().GetResult()</c>.
        /// </summary>
        internal bool WaitsInPlace(IOperation operation)
        {
            if (Kind != RequestKind.Task)
            {
                return false;
            }

            foreach (var current in operation.SelfAndDescendants())
            {
                if (TaskWaited(current) is { } waited && IsCall(_values.Strip(waited)))
                {
                    return true;
                }
            }

            return false;
        }

        private RequestFact StepOf(IOperation operation, bool eventSignaled)
        {
            switch (Kind)
            {
                case RequestKind.Overlapped:
                    return OverlappedStep(operation, eventSignaled);

                case RequestKind.Aio:
                    return operation is IInvocationOperation { TargetMethod.Name: "aio_suspend" or "aio_suspend64" } suspend
                        && suspend.Arguments.Length >= 3 && IsNull(Argument(suspend, 2)) && InList(Argument(suspend, 0))
                        ? RequestFact.Complete
                        : RequestFact.None;

                case RequestKind.IoUring:
                    return IsRingWait(operation) ? RequestFact.Complete : RequestFact.None;

                case RequestKind.Registration:
                    return operation is IInvocationOperation { TargetMethod.Name: "ibv_dereg_mr" or "io_uring_unregister_buffers" } teardown
                        && teardown.Arguments.Length > 0 && IsRequest(Argument(teardown, 0))
                        ? RequestFact.Complete
                        : RequestFact.None;

                case RequestKind.Task:
                    return TaskWaited(operation) is { } waited && (IsRequest(waited) || IsCall(_values.Strip(waited)))
                        ? RequestFact.Complete
                        : RequestFact.None;

                default:
                    return RequestFact.None;
            }
        }

        private RequestFact OverlappedStep(IOperation operation, bool eventSignaled)
        {
            if (operation is not IInvocationOperation invocation)
            {
                return RequestFact.None;
            }

            var arguments = invocation.Arguments;
            switch (invocation.TargetMethod.Name)
            {
                case "GetOverlappedResult" or "WSAGetOverlappedResult" when arguments.Length >= 4 && IsRequest(Argument(invocation, 1)):
                    // bWait: TRUE blocks until the I/O is done; after a wait on the event, FALSE only reads the result.
                    return eventSignaled || IsTrue(Argument(invocation, 3)) ? RequestFact.Complete : RequestFact.None;

                case "GetOverlappedResultEx" when arguments.Length >= 5 && IsRequest(Argument(invocation, 1)):
                    return eventSignaled || (IsInfinite(Argument(invocation, 3)) && IsFalse(Argument(invocation, 4))) ? RequestFact.Complete : RequestFact.None;

                case "WaitForSingleObject" when arguments.Length >= 2 && IsEvent(Argument(invocation, 0)) && IsInfinite(Argument(invocation, 1)):
                    return RequestFact.EventSignaled;

                case "WaitForSingleObjectEx" when arguments.Length >= 3 && IsEvent(Argument(invocation, 0)) && IsInfinite(Argument(invocation, 1)) && IsFalse(Argument(invocation, 2)):
                    return RequestFact.EventSignaled;

                case "WaitOne" or "Wait" when IsManagedEvent(invocation) && IsEvent(invocation.Instance) && IsUnbounded(invocation):
                    return RequestFact.EventSignaled;

                default:
                    return CallsWaitingHelper(invocation) ? RequestFact.Complete : RequestFact.None;
            }
        }

        /// <summary>
        /// A source method handed this request's OVERLAPPED that waits for it on every normal path
        /// (<see cref="OverlappedWaitHelpers"/>): <c>OverlappedOperation(handle, ev, ReadFile(h, p, n, 0, ov), ov, out read)</c>.
        /// </summary>
        private bool CallsWaitingHelper(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (method.IsExtern || method.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { } parameter && IsRequest(argument.Value) && OverlappedWaitHelpers.Waits(parameter))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// True when the statement that makes the request also finishes it after the call: the call is an argument of a
        /// wait (a helper that waits, <see cref="CallsWaitingHelper"/>), so the wait runs once the call has returned.
        /// </summary>
        internal bool FinishesAroundCall(IOperation statement)
        {
            if (Kind != RequestKind.Overlapped)
            {
                return false;
            }

            foreach (var current in statement.SelfAndDescendants())
            {
                if (current is IInvocationOperation wait && !IsCall(wait) && Contains(wait) && OverlappedStep(wait, eventSignaled: false) == RequestFact.Complete)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>What a value says about the request, when it is compared or branched on; null when nothing.</summary>
        private Reporter? ReporterOf(IOperation? value)
        {
            value = _values.Strip(value);
            switch (value)
            {
                case ISimpleAssignmentOperation assignment:
                    // while ((error = aio_error(cb)) == EINPROGRESS)
                    return ReporterOf(assignment.Value);

                case ILocalReferenceOperation local:
                    return LocalReporter(local.Local);

                case IPropertyReferenceOperation { Property.Name: "IsCompleted" or "IsCompletedSuccessfully" or "IsFaulted" or "IsCanceled" } property
                    when Kind == RequestKind.Task && IsTaskLike(property.Property.ContainingType) && property.Instance is { } task && (IsRequest(task) || IsCall(_values.Strip(task))):
                    return Reporter.TaskDone;

                case IInvocationOperation invocation:
                    return InvocationReporter(invocation);

                default:
                    return null;
            }
        }

        /// <summary>
        /// The reporter of a local that is only ever assigned values reporting the same thing (<c>bool ok = ReadFile(...)</c>,
        /// later <c>ok = GetOverlappedResult(...)</c>); null when any assignment says something else.
        /// </summary>
        private Reporter? LocalReporter(ILocalSymbol local)
        {
            if (_localReporters.TryGetValue(local, out var known))
            {
                return known;
            }

            if (!_resolving.Add(local))
            {
                return null;
            }

            Reporter? reporter = null;
            if (_values.WritesOf(local) is { } values)
            {
                foreach (var value in values)
                {
                    var next = value is null ? null : ReporterOf(value);
                    if (next is null || (reporter is not null && !ReferenceEquals(reporter, next)))
                    {
                        reporter = null;
                        break;
                    }

                    reporter = next;
                }
            }

            _resolving.Remove(local);
            _localReporters[local] = reporter;
            return reporter;
        }

        private Reporter? InvocationReporter(IInvocationOperation invocation)
        {
            if (IsCall(invocation))
            {
                return _callReports;
            }

            var method = invocation.TargetMethod;
            var arguments = invocation.Arguments;
            switch (method.Name)
            {
                case "GetLastWin32Error" or "GetLastPInvokeError" or "GetLastSystemError" when method.ContainingType?.Name == "Marshal" && Kind == RequestKind.Overlapped:
                case "GetLastError" or "WSAGetLastError" when method.IsExtern && arguments.Length == 0 && Kind == RequestKind.Overlapped:
                    return Reporter.LastErrorNotPending;

                case "GetOverlappedResult" or "WSAGetOverlappedResult" or "GetOverlappedResultEx" when Kind == RequestKind.Overlapped && arguments.Length >= 2 && IsRequest(Argument(invocation, 1)):
                    return method.ReturnType.SpecialType == SpecialType.System_Boolean ? Reporter.TrueWhenDone : Reporter.NonZeroWhenDone;

                case "WaitForSingleObject" or "WaitForSingleObjectEx" when Kind == RequestKind.Overlapped && arguments.Length >= 2 && IsEvent(Argument(invocation, 0)):
                    return Reporter.SignaledWhenZero;

                case "WaitOne" or "Wait" when Kind == RequestKind.Overlapped && IsManagedEvent(invocation) && IsEvent(invocation.Instance):
                    return method.ReturnType.SpecialType == SpecialType.System_Boolean ? Reporter.SignaledWhenTrue : null;

                case "aio_error" or "aio_error64" when Kind == RequestKind.Aio && arguments.Length > 0 && IsRequest(Argument(invocation, 0)):
                    return Reporter.AioDone;

                case "Wait" when Kind == RequestKind.Task && method.ReturnType.SpecialType == SpecialType.System_Boolean
                                 && IsTaskLike(method.ContainingType) && invocation.Instance is { } task && (IsRequest(task) || IsCall(_values.Strip(task))):
                    // task.Wait(timeout): true when the task finished in time.
                    return Reporter.TaskDone;

                default:
                    return null;
            }
        }

        /// <summary>True when <paramref name="operation"/> names this request (conversions, <c>&amp;</c> and aliases followed).</summary>
        private bool IsRequest(IOperation? operation)
            => !Key.IsDefault && FunctionValues.SameKey(_values.Key(operation), Key);

        /// <summary>The OVERLAPPED's event: a member of the request (<c>ov.hEvent</c>), or what was stored into one.</summary>
        private bool IsEvent(IOperation? handle)
        {
            if (Key.IsDefault || handle is null)
            {
                return false;
            }

            var key = _values.Key(handle);
            if (!key.IsDefault && key.Length > Key.Length && FunctionValues.StartsWith(key, Key))
            {
                return true;
            }

            _eventRoots ??= _values.EventRoots(Key);
            return _values.Root(handle) is { } root && _eventRoots.Contains(root);
        }

        /// <summary>For <c>aio_suspend</c>: the list names this control block (<c>&amp;pcb</c>, a local array holding <c>&amp;cb</c>).</summary>
        private bool InList(IOperation? list)
        {
            if (Key.IsDefault || list is null)
            {
                return false;
            }

            if (IsRequest(list))
            {
                return true;
            }

            _listRoots ??= _values.ContainersOf(Key);
            return _values.Root(list) is { } root && _listRoots.Contains(root);
        }

        private bool IsRingWait(IOperation operation)
        {
            if (operation is not IInvocationOperation invocation || invocation.Arguments.Length == 0 || !IsRequest(Argument(invocation, 0)))
            {
                return false;
            }

            switch (invocation.TargetMethod.Name)
            {
                case "io_uring_wait_cqe":
                    return true;
                case "io_uring_wait_cqe_nr":
                    return invocation.Arguments.Length >= 3 && IsPositive(Argument(invocation, 2));
                case "io_uring_wait_cqes":
                    return invocation.Arguments.Length >= 4 && IsPositive(Argument(invocation, 2)) && IsNull(Argument(invocation, 3));
                case "io_uring_wait_cqe_timeout":
                    return invocation.Arguments.Length >= 3 && IsNull(Argument(invocation, 2));
                case "io_uring_submit_and_wait":
                    return invocation.Arguments.Length >= 2 && IsPositive(Argument(invocation, 1));
                default:
                    return false;
            }
        }

        /// <summary>
        /// The task a blocking wait is on: <c>t.Wait()</c> (no timeout), <c>t.Result</c>, <c>t.GetAwaiter().GetResult()</c>,
        /// <c>await t</c> (<c>ConfigureAwait</c> and <c>AsTask</c> followed), or one of <c>Task.WaitAll(...)</c>'s tasks (returned
        /// as the argument array is not: each element is checked by the caller through <see cref="IsRequest"/>).
        /// </summary>
        private IOperation? TaskWaited(IOperation operation)
        {
            switch (operation)
            {
                case IAwaitOperation awaited:
                    return Unwrap(awaited.Operation);

                case IPropertyReferenceOperation { Property.Name: "Result" } result when IsTaskLike(result.Property.ContainingType):
                    return Unwrap(result.Instance);

                case IInvocationOperation { TargetMethod.Name: "GetResult", Instance: IInvocationOperation { TargetMethod.Name: "GetAwaiter" } awaiter }:
                    return Unwrap(awaiter.Instance);

                case IInvocationOperation { TargetMethod.Name: "Wait" } wait when IsTaskLike(wait.TargetMethod.ContainingType) && !wait.TargetMethod.IsStatic && IsUnbounded(wait):
                    return Unwrap(wait.Instance);

                case IInvocationOperation { TargetMethod.Name: "WaitAll", TargetMethod.IsStatic: true } waitAll when IsTaskLike(waitAll.TargetMethod.ContainingType) && IsUnbounded(waitAll):
                    // params Task[] or params ReadOnlySpan<Task>: look at every value inside the arguments.
                    foreach (var argument in waitAll.Arguments)
                    {
                        foreach (var element in argument.Value.SelfAndDescendants())
                        {
                            var task = Unwrap(element);
                            if (IsTaskLike(task?.Type) && (IsRequest(task) || IsCall(_values.Strip(task))))
                            {
                                return task;
                            }
                        }
                    }

                    return null;

                default:
                    return null;
            }
        }

        /// <summary><c>t.ConfigureAwait(false)</c>, <c>t.AsTask()</c>, conversions: the task underneath.</summary>
        private IOperation? Unwrap(IOperation? task)
        {
            for (var depth = 0; depth < 4; depth++)
            {
                task = _values.Strip(task);
                if (task is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" or "AsTask", Instance: { } inner })
                {
                    task = inner;
                    continue;
                }

                break;
            }

            return task;
        }

        /// <summary>No timeout argument, or an infinite one (<c>-1</c>, <c>Timeout.Infinite</c>, <c>Timeout.InfiniteTimeSpan</c>).</summary>
        private static bool IsUnbounded(IInvocationOperation wait)
        {
            foreach (var argument in wait.Arguments)
            {
                var type = argument.Parameter?.Type;
                if (type is null)
                {
                    return false;
                }

                if (type.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64)
                {
                    if (!IsInfinite(argument.Value))
                    {
                        return false;
                    }
                }
                else if (type.Name == "TimeSpan")
                {
                    if (argument.Value.WalkDownConversions() is not IFieldReferenceOperation { Field.Name: "InfiniteTimeSpan" })
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary><c>WaitHandle.WaitOne</c> (any event type) or <c>ManualResetEventSlim.Wait</c>.</summary>
        private static bool IsManagedEvent(IInvocationOperation invocation)
        {
            if (invocation.Instance is null)
            {
                return false;
            }

            for (var type = invocation.TargetMethod.ContainingType; type is not null; type = type.BaseType)
            {
                if (type.Name is "WaitHandle" or "ManualResetEventSlim" && type.ContainingNamespace?.ToDisplayString() == "System.Threading")
                {
                    return true;
                }
            }

            return false;
        }

        internal static bool IsTaskLike(ITypeSymbol? type)
            => type is INamedTypeSymbol { Name: "Task" or "ValueTask" } named
                && named.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks";

        /// <summary>The argument passed to the parameter at <paramref name="ordinal"/> (named arguments may come in any order).</summary>
        private static IOperation? Argument(IInvocationOperation invocation, int ordinal)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument.Value;
                }
            }

            return ordinal < invocation.Arguments.Length ? invocation.Arguments[ordinal].Value : null;
        }

        /// <summary>The OVERLAPPED argument: its parameter's name contains "overlapped", or its type's name "OVERLAPPED".</summary>
        private static IArgumentOperation? OverlappedArgument(IInvocationOperation call)
        {
            foreach (var argument in call.Arguments)
            {
                var parameter = argument.Parameter;
                if (parameter is null)
                {
                    continue;
                }

                var typeName = parameter.Type is IPointerTypeSymbol pointer ? pointer.PointedAtType.Name : parameter.Type.Name;
                if (parameter.Name.IndexOf("overlapped", StringComparison.OrdinalIgnoreCase) >= 0
                    || typeName.IndexOf("OVERLAPPED", StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return argument;
                }
            }

            return null;
        }

        internal static bool IsNull(IOperation? value)
        {
            var stripped = value.WalkDownConversions();
            if (stripped is null)
            {
                return false;
            }

            if (stripped is IDefaultValueOperation)
            {
                return true;
            }

            if (stripped.ConstantValue is { HasValue: true } constant)
            {
                return constant.Value is null || (TryGetInteger(constant.Value, out var number) && number == 0);
            }

            return stripped is IFieldReferenceOperation { Field.Name: "Zero" } zero && zero.Field.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;
        }

        private static bool IsTrue(IOperation? value)
            => value.WalkDownConversions()?.ConstantValue is { HasValue: true } constant
                && (constant.Value is true || (TryGetInteger(constant.Value, out var number) && number != 0));

        private static bool IsFalse(IOperation? value)
            => value.WalkDownConversions()?.ConstantValue is { HasValue: true } constant
                && (constant.Value is false || (TryGetInteger(constant.Value, out var number) && number == 0));

        private static bool IsPositive(IOperation? value)
            => value.WalkDownConversions()?.ConstantValue is { HasValue: true } constant && TryGetInteger(constant.Value, out var number) && number > 0;

        /// <summary>INFINITE: <c>0xFFFFFFFF</c> as a DWORD, <c>-1</c> as an int (<c>Timeout.Infinite</c>).</summary>
        private static bool IsInfinite(IOperation? value)
            => value?.ConstantValue is { HasValue: true } constant && TryGetInteger(constant.Value, out var number) && number is -1 or 0xFFFFFFFF;

        internal static bool TryGetInteger(object? value, out long number)
        {
            switch (value)
            {
                case int i:
                    number = i;
                    return true;
                case uint u:
                    number = u;
                    return true;
                case long l:
                    number = l;
                    return true;
                case ulong ul when ul <= long.MaxValue:
                    number = (long)ul;
                    return true;
                case short s:
                    number = s;
                    return true;
                case ushort us:
                    number = us;
                    return true;
                case byte b:
                    number = b;
                    return true;
                case sbyte sb:
                    number = sb;
                    return true;
                default:
                    number = 0;
                    return false;
            }
        }

        /// <summary>What a compared code means for a reporter.</summary>
        internal enum CodeMeaning
        {
            /// <summary>Nothing can be concluded.</summary>
            Unknown,

            /// <summary>The value equal to this code implies the fact.</summary>
            Fact,

            /// <summary>The value equal to this code is the one case where the fact does not hold: any other value implies it.</summary>
            OnlyNotFact,
        }

        /// <summary>
        /// A value that reports on the request: boolean (TRUE means the fact) or a code. For codes, either one value means
        /// "not yet" and every other value means the fact (<c>aio_error</c>: <c>EINPROGRESS</c>; the last error:
        /// <c>ERROR_IO_PENDING</c>), or listed values mean the fact (<c>WAIT_OBJECT_0</c>).
        /// </summary>
        internal sealed class Reporter
        {
            internal static readonly Reporter TrueWhenDone = new(RequestFact.Complete, isBoolean: true, notFact: null, notFactNames: null, factCodes: null);
            internal static readonly Reporter NonZeroWhenDone = new(RequestFact.Complete, isBoolean: false, notFact: 0, notFactNames: null, factCodes: null);
            internal static readonly Reporter ZeroWhenDone = new(RequestFact.Complete, isBoolean: false, notFact: -1, notFactNames: new[] { "SOCKET_ERROR" }, factCodes: new long[] { 0 });
            internal static readonly Reporter LastErrorNotPending = new(RequestFact.Complete, isBoolean: false, notFact: 997, notFactNames: new[] { "ERROR_IO_PENDING", "WSA_IO_PENDING" }, factCodes: null, unknown: new long[] { 996 });
            internal static readonly Reporter AioDone = new(RequestFact.Complete, isBoolean: false, notFact: 115, notFactNames: new[] { "EINPROGRESS" }, factCodes: null, unknown: null, alsoNotFact: 36);
            internal static readonly Reporter NullWhenNotStarted = new(RequestFact.Complete, isBoolean: false, notFact: null, notFactNames: null, factCodes: new long[] { 0 });
            internal static readonly Reporter SignaledWhenZero = new(RequestFact.EventSignaled, isBoolean: false, notFact: null, notFactNames: null, factCodes: new long[] { 0 });
            internal static readonly Reporter SignaledWhenTrue = new(RequestFact.EventSignaled, isBoolean: true, notFact: null, notFactNames: null, factCodes: null);
            internal static readonly Reporter TaskDone = new(RequestFact.Complete, isBoolean: true, notFact: null, notFactNames: null, factCodes: null);

            private readonly long? _notFact;
            private readonly long? _alsoNotFact;
            private readonly string[]? _notFactNames;
            private readonly long[]? _factCodes;
            private readonly long[]? _unknown;

            private Reporter(RequestFact fact, bool isBoolean, long? notFact, string[]? notFactNames, long[]? factCodes, long[]? unknown = null, long? alsoNotFact = null)
            {
                Fact = fact;
                IsBoolean = isBoolean;
                _notFact = notFact;
                _alsoNotFact = alsoNotFact;
                _notFactNames = notFactNames;
                _factCodes = factCodes;
                _unknown = unknown;
            }

            internal RequestFact Fact { get; }

            internal bool IsBoolean { get; }

            internal CodeMeaning Meaning(long code, string? constantName)
            {
                if (_notFactNames is not null && constantName is not null && Array.IndexOf(_notFactNames, constantName) >= 0)
                {
                    return CodeMeaning.OnlyNotFact;
                }

                if (_notFact == code || _alsoNotFact == code)
                {
                    return CodeMeaning.OnlyNotFact;
                }

                if (_factCodes is not null)
                {
                    return Array.IndexOf(_factCodes, code) >= 0 ? CodeMeaning.Fact : CodeMeaning.Unknown;
                }

                if (_unknown is not null && Array.IndexOf(_unknown, code) >= 0)
                {
                    return CodeMeaning.Unknown;
                }

                return _notFact is null ? CodeMeaning.Unknown : CodeMeaning.Fact;
            }
        }
    }

    /// <summary>
    /// Flow-insensitive facts about one function's values, for tying a wait to its request: the symbol path an
    /// operation names, what each local is assigned, which members are stored into. Built once per function and pin.
    /// </summary>
    internal sealed class FunctionValues
    {
        private readonly Dictionary<CaptureId, IOperation> _captures = new();
        private readonly Dictionary<ISymbol, List<IOperation?>> _writes = new(SymbolEqualityComparer.Default);
        private readonly List<(IOperation Target, IOperation Value)> _otherWrites = new();

        internal FunctionValues(FunctionFlow function, ControlFlowGraph graph)
        {
            foreach (var block in graph.Blocks)
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

            foreach (var operation in function.Body.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declarator:
                        Write(declarator.Symbol, initializer.Value);
                        break;

                    case ISimpleAssignmentOperation assignment:
                        switch (assignment.Target)
                        {
                            case ILocalReferenceOperation local:
                                Write(local.Local, assignment.Value);
                                break;
                            default:
                                // ov.hEvent = evt, list[0] = &cb, p->EventHandle = h.
                                _otherWrites.Add((assignment.Target, assignment.Value));
                                break;
                        }

                        break;

                    case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument:
                        switch (argument.Value)
                        {
                            case ILocalReferenceOperation local:
                                Write(local.Local, null);
                                break;
                            case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared }:
                                Write(declared.Local, null);
                                break;
                        }

                        break;

                    case ICompoundAssignmentOperation { Target: ILocalReferenceOperation local }:
                        Write(local.Local, null);
                        break;

                    case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation local }:
                        Write(local.Local, null);
                        break;

                    case IDeconstructionAssignmentOperation deconstruction:
                        foreach (var target in deconstruction.Target.Descendants())
                        {
                            if (target is ILocalReferenceOperation local)
                            {
                                Write(local.Local, null);
                            }
                        }

                        break;
                }
            }
        }

        /// <summary>Conversions, parentheses and the graph's flow captures stripped: the value underneath.</summary>
        internal IOperation? Strip(IOperation? operation)
        {
            for (var depth = 0; depth < 8; depth++)
            {
                operation = operation.WalkDownConversions();
                if (operation is IFlowCaptureReferenceOperation reference && _captures.TryGetValue(reference.Id, out var captured))
                {
                    operation = captured;
                    continue;
                }

                return operation;
            }

            return operation;
        }

        /// <summary>
        /// The symbol path an operation names: <c>ov</c>, <c>&amp;ov</c> and a pointer local initialized with <c>&amp;ov</c> are
        /// [ov]; <c>&amp;s.Overlapped</c> and <c>&amp;p-&gt;Overlapped</c> are [s, Overlapped] and [p, Overlapped]; an element of
        /// an array is [array, element type] whatever the index. Default when the operation names no variable.
        /// </summary>
        internal ImmutableArray<ISymbol> Key(IOperation? operation) => Key(operation, 0);

        private ImmutableArray<ISymbol> Key(IOperation? operation, int depth)
        {
            if (depth > 8)
            {
                return default;
            }

            operation = Strip(operation);
            switch (operation)
            {
                case IAddressOfOperation addressOf:
                    return Key(addressOf.Reference, depth + 1);

                case ILocalReferenceOperation local:
                    if (local.Local.Type is IPointerTypeSymbol && SingleWrite(local.Local) is { } aliased && Key(aliased, depth + 1) is { IsDefault: false } alias)
                    {
                        // NativeOverlapped* pov = &ov: the same OVERLAPPED.
                        return alias;
                    }

                    return ImmutableArray.Create<ISymbol>(local.Local);

                case IParameterReferenceOperation parameter:
                    return ImmutableArray.Create<ISymbol>(parameter.Parameter);

                case IFieldReferenceOperation field:
                    return Member(field.Instance, field.Field, depth);

                case IPropertyReferenceOperation { Property.IsIndexer: false } property:
                    return Member(property.Instance, property.Property, depth);

                case IArrayElementReferenceOperation element when element.ArrayReference.Type is IArrayTypeSymbol array:
                    return Key(element.ArrayReference, depth + 1) is { IsDefault: false } owner ? owner.Add(array.ElementType) : default;

                case { Kind: OperationKind.None } indirection when indirection.ChildOperations.Count == 1:
                    // *p: the pointed-to variable is named by the pointer.
                    foreach (var child in indirection.ChildOperations)
                    {
                        return Key(child, depth + 1);
                    }

                    return default;

                default:
                    return default;
            }
        }

        private ImmutableArray<ISymbol> Member(IOperation? instance, ISymbol member, int depth)
        {
            if (instance is null or IInstanceReferenceOperation)
            {
                return ImmutableArray.Create(member);
            }

            return Key(instance, depth + 1) is { IsDefault: false } owner ? owner.Add(member) : default;
        }

        internal static bool SameKey(ImmutableArray<ISymbol> left, ImmutableArray<ISymbol> right)
            => !left.IsDefault && !right.IsDefault && left.Length == right.Length && StartsWith(left, right);

        internal static bool StartsWith(ImmutableArray<ISymbol> key, ImmutableArray<ISymbol> prefix)
        {
            if (key.IsDefault || prefix.IsDefault || key.Length < prefix.Length)
            {
                return false;
            }

            for (var i = 0; i < prefix.Length; i++)
            {
                if (!SymbolEqualityComparer.Default.Equals(key[i], prefix[i]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// The variable an event handle or list comes from: <c>evt</c> for <c>evt</c>, <c>evt.SafeWaitHandle.DangerousGetHandle()</c>,
        /// <c>(IntPtr)evt.Handle</c>, <c>new IntPtr(evt)</c>; null when it is made on the spot.
        /// </summary>
        internal ISymbol? Root(IOperation? operation)
        {
            for (var depth = 0; depth < 8; depth++)
            {
                operation = Strip(operation);
                switch (operation)
                {
                    case ILocalReferenceOperation local:
                        return local.Local;
                    case IParameterReferenceOperation parameter:
                        return parameter.Parameter;
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        return field.Field;
                    case IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property:
                        return property.Property;
                    case IArrayElementReferenceOperation element:
                        operation = element.ArrayReference;
                        continue;
                    case { Kind: OperationKind.None } pointerElement when pointerElement.ChildOperations.Count > 0:
                        foreach (var child in pointerElement.ChildOperations)
                        {
                            operation = child;
                            break;
                        }

                        continue;
                    case IMemberReferenceOperation { Instance: { } instance }:
                        operation = instance;
                        continue;
                    case IInvocationOperation { Instance: { } instance }:
                        operation = instance;
                        continue;
                    case IInvocationOperation { Arguments.Length: 1 } wrapper:
                        operation = wrapper.Arguments[0].Value;
                        continue;
                    case IObjectCreationOperation { Arguments.Length: 1 } creation:
                        operation = creation.Arguments[0].Value;
                        continue;
                    case IAddressOfOperation addressOf:
                        operation = addressOf.Reference;
                        continue;
                    default:
                        return null;
                }
            }

            return null;
        }

        /// <summary>
        /// What was stored into a member of the OVERLAPPED named by <paramref name="key"/> (its event): <c>ov.hEvent = evt</c>,
        /// <c>new NativeOverlapped { EventHandle = evt... }</c>, or the event given to <c>new Overlapped(...)</c> whose
        /// <c>Pack</c> made it.
        /// </summary>
        internal ImmutableHashSet<ISymbol> EventRoots(ImmutableArray<ISymbol> key)
        {
            var roots = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var (target, value) in _otherWrites)
            {
                var written = Key(target);
                if (!written.IsDefault && written.Length > key.Length && StartsWith(written, key) && Root(value) is { } root)
                {
                    roots.Add(root);
                }
            }

            if (key.Length == 1 && _writes.TryGetValue(key[0], out var values))
            {
                foreach (var value in values)
                {
                    switch (Strip(value))
                    {
                        case IObjectCreationOperation { Initializer: { } initializer }:
                            foreach (var member in initializer.Initializers)
                            {
                                if (member is ISimpleAssignmentOperation assignment && Root(assignment.Value) is { } root)
                                {
                                    roots.Add(root);
                                }
                            }

                            break;

                        case IInvocationOperation { TargetMethod.Name: "Pack" or "UnsafePack", Instance: { } overlapped } when Root(overlapped) is { } holder:
                            // Overlapped.Pack: the event is the one given to new Overlapped(..., hEvent, ...) or set on it.
                            roots.UnionWith(EventRoots(ImmutableArray.Create(holder)));
                            if (_writes.TryGetValue(holder, out var creations))
                            {
                                foreach (var creation in creations)
                                {
                                    if (Strip(creation) is IObjectCreationOperation { Arguments.Length: 4 } made && Root(made.Arguments[2].Value) is { } root)
                                    {
                                        roots.Add(root);
                                    }
                                }
                            }

                            break;
                    }
                }
            }

            return roots.ToImmutable();
        }

        /// <summary>For <c>aio_suspend</c>'s list: the arrays and pointer locals that were given this control block.</summary>
        internal ImmutableHashSet<ISymbol> ContainersOf(ImmutableArray<ISymbol> key)
        {
            var containers = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var pair in _writes)
            {
                foreach (var value in pair.Value)
                {
                    if (value is null)
                    {
                        continue;
                    }

                    foreach (var part in value.SelfAndDescendants())
                    {
                        if (SameKey(Key(part), key))
                        {
                            containers.Add(pair.Key);
                            break;
                        }
                    }
                }
            }

            foreach (var (target, value) in _otherWrites)
            {
                if (SameKey(Key(value), key) && Root(target) is { } root)
                {
                    containers.Add(root);
                }
            }

            return containers.ToImmutable();
        }

        /// <summary>The variable the call's result is kept in (<c>var t = ReadAsync(p)</c>, <c>_mr = ibv_reg_mr(...)</c>); default when none.</summary>
        internal ImmutableArray<ISymbol> ResultHolder(IOperation call)
        {
            var value = call;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            switch (value.Parent)
            {
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return ImmutableArray.Create<ISymbol>(declarator.Symbol);
                case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, value):
                    return Key(assignment.Target);
                default:
                    return default;
            }
        }

        /// <summary>For <c>io_uring_prep_*(sqe, ...)</c>: the ring the submission entry came from (<c>io_uring_get_sqe(ring)</c>).</summary>
        internal ImmutableArray<ISymbol> RingOfSubmission(IOperation? entry)
        {
            var source = Strip(entry);
            if (source is ILocalReferenceOperation local)
            {
                source = SingleWrite(local.Local);
            }

            return Strip(source) is IInvocationOperation { TargetMethod.Name: "io_uring_get_sqe", Arguments.Length: > 0 } getEntry
                ? Key(getEntry.Arguments[0].Value)
                : default;
        }

        /// <summary>Every value assigned to <paramref name="local"/> in the function (null for one we cannot see: out, ++, deconstruction).</summary>
        internal IReadOnlyList<IOperation?>? WritesOf(ILocalSymbol local)
            => _writes.TryGetValue(local, out var values) ? values : null;

        private IOperation? SingleWrite(ILocalSymbol local)
            => _writes.TryGetValue(local, out var values) && values.Count == 1 ? values[0] : null;

        private void Write(ILocalSymbol local, IOperation? value)
        {
            if (!_writes.TryGetValue(local, out var values))
            {
                values = new List<IOperation?>();
                _writes.Add(local, values);
            }

            values.Add(value);
        }

        private void RecordCaptures(IOperation operation)
        {
            foreach (var current in operation.SelfAndDescendants())
            {
                if (current is IFlowCaptureOperation capture)
                {
                    _captures[capture.Id] = capture.Value;
                }
            }
        }
    }
}
