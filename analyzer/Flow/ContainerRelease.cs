using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Release through a container (DESIGN.md, "What outlives and escapes mean"): a pin handed to a local (or
    /// this instance's field) list, array or aggregate whose every element is released in a <c>finally</c>, or by
    /// <c>using</c> of the aggregate, that covers the hand-over ends before the method returns. The hand-over then
    /// counts as the pin's release (<see cref="ReleasePaths"/>): paths from the pin to it are still judged, so a pin
    /// that leaks before it reaches the container is still reported.
    /// </summary>
    /// <remarks>
    /// Recognised element-wise releases: <c>foreach (var h in c) h.Free();</c> (also under a guard such as
    /// <c>if (h.IsAllocated)</c>), a loop over <c>c[i].Free()</c>, <c>c.ForEach(h =&gt; h.Free())</c>; for an aggregate, a
    /// source type whose <c>Dispose</c> (or a parameterless helper it calls, one level) does one of those over a field
    /// holding the pin's handle type. A local container must not escape (returned, stored, captured, passed on); a
    /// field container must be cleared in the same <c>finally</c>, or it would keep freed handles past the method.
    /// </remarks>
    internal sealed class ContainerRelease
    {
        private static readonly ConditionalWeakTable<Compilation, ContainerRelease> s_byCompilation = new();

        private readonly ConcurrentDictionary<(INamedTypeSymbol Type, PinKind Kind), bool> _aggregates = new();
        private readonly ConcurrentDictionary<(IMethodSymbol Method, int Ordinal, PinKind Kind), bool> _helpers = new();

        internal static ContainerRelease For(Compilation compilation) => s_byCompilation.GetValue(compilation, _ => new ContainerRelease());

        /// <summary>
        /// True when <paramref name="handOver"/> (an add, an element store, or a call on an aggregate) puts the pin into
        /// <paramref name="container"/>, which a finally or using covering the hand-over releases element by element.
        /// </summary>
        internal bool Releases(PinSite site, IOperation handOver, IOperation? container, FunctionFlow function, PinApis apis)
        {
            var symbol = ContainerSymbol(container);
            if (symbol is null)
            {
                return false;
            }

            if (symbol is ILocalSymbol && Escapes(symbol, function, site.Kind, apis))
            {
                return false;
            }

            var aggregate = TypeOf(symbol) is INamedTypeSymbol named && IsAggregate(named, site.Kind, apis);
            var child = handOver;
            for (var current = handOver.Parent; current is not null && !ReferenceEquals(current, function.Function); child = current, current = current.Parent)
            {
                switch (current)
                {
                    case IAnonymousFunctionOperation or ILocalFunctionOperation:
                        // Added in a nested function: when it runs is not this method's business.
                        return false;

                    case ITryOperation { Finally: { } @finally } @try when ReferenceEquals(@try.Body, child):
                        if (ReleasesElements(@finally, symbol, site.Kind, apis) && (symbol is ILocalSymbol || Clears(@finally, symbol)))
                        {
                            return true;
                        }

                        if (aggregate && symbol is ILocalSymbol && Disposes(@finally, symbol))
                        {
                            return true;
                        }

                        break;

                    case IUsingOperation @using when aggregate && ReferenceEquals(@using.Body, child) && Declares(@using.Resources, symbol):
                        return true;

                    case IBlockOperation block when aggregate:
                        foreach (var statement in block.Operations)
                        {
                            if (ReferenceEquals(statement, child))
                            {
                                break;
                            }

                            if (statement is IUsingDeclarationOperation declaration && Declares(declaration.DeclarationGroup, symbol))
                            {
                                return true;
                            }
                        }

                        break;
                }
            }

            return false;
        }

        /// <summary>True when <paramref name="type"/> is a source type whose <c>Dispose</c> releases every element of a field holding pins of <paramref name="kind"/>.</summary>
        internal bool IsAggregate(INamedTypeSymbol type, PinKind kind, PinApis apis)
            => type.DeclaringSyntaxReferences.Length > 0 && _aggregates.GetOrAdd((type.OriginalDefinition, kind), key => ComputeAggregate(key.Type, key.Kind, apis));

        private static bool ComputeAggregate(INamedTypeSymbol type, PinKind kind, PinApis apis)
        {
            var releaseName = kind == PinKind.GCHandle ? "Free" : "Dispose";
            var fields = new System.Collections.Generic.HashSet<string>(System.StringComparer.Ordinal);
            foreach (var member in type.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false } field && HoldsPins(field.Type, kind, apis))
                {
                    fields.Add(field.Name);
                }
            }

            if (fields.Count == 0)
            {
                return false;
            }

            foreach (var member in type.GetMembers("Dispose"))
            {
                if (member is IMethodSymbol { Parameters.IsEmpty: true, IsStatic: false } dispose && BodyReleasesField(dispose, type, fields, releaseName, helpers: true))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool HoldsPins(ITypeSymbol type, PinKind kind, PinApis apis)
        {
            ITypeSymbol? element = type switch
            {
                IArrayTypeSymbol array => array.ElementType,
                INamedTypeSymbol { TypeArguments.Length: 1 } generic => generic.TypeArguments[0],
                _ => null,
            };

            return kind switch
            {
                PinKind.GCHandle => apis.IsGCHandle(element),
                PinKind.TypedHandle => apis.IsPinnedGCHandle(element),
                PinKind.MemoryHandle => apis.IsMemoryHandle(element),
                _ => false,
            };
        }

        /// <summary>By syntax (the type may sit in another tree): an element-wise release over one of <paramref name="fields"/>.</summary>
        private static bool BodyReleasesField(IMethodSymbol method, INamedTypeSymbol type, System.Collections.Generic.HashSet<string> fields, string releaseName, bool helpers)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    switch (node)
                    {
                        case ForEachStatementSyntax loop when NamesField(loop.Expression, fields) && CallsOn(loop.Statement, releaseName, loop.Identifier.ValueText):
                            return true;
                        case ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax when CallsOnElement(node, releaseName, fields):
                            return true;
                        case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ForEach" } forEach } call
                            when NamesField(forEach.Expression, fields) && ContainsCall(call.ArgumentList, releaseName):
                            return true;
                        case InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } helper when helpers && SimpleName(helper.Expression) is { } name:
                            // Dispose() => UnpinAll(); one level.
                            foreach (var candidate in type.GetMembers(name))
                            {
                                if (candidate is IMethodSymbol { Parameters.IsEmpty: true } callee && !SymbolEqualityComparer.Default.Equals(callee, method)
                                    && BodyReleasesField(callee, type, fields, releaseName, helpers: false))
                                {
                                    return true;
                                }
                            }

                            break;
                    }
                }
            }

            return false;
        }

        private static string? SimpleName(ExpressionSyntax expression)
            => expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax name } => name.Identifier.ValueText,
                _ => null,
            };

        private static bool NamesField(ExpressionSyntax expression, System.Collections.Generic.HashSet<string> fields)
            => SimpleName(expression is ParenthesizedExpressionSyntax p ? p.Expression : expression) is { } name && fields.Contains(name);

        private static bool CallsOn(SyntaxNode body, string releaseName, string variable)
        {
            foreach (var node in body.DescendantNodesAndSelf())
            {
                if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax target } access }
                    && access.Name.Identifier.ValueText == releaseName && target.Identifier.ValueText == variable)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool CallsOnElement(SyntaxNode body, string releaseName, System.Collections.Generic.HashSet<string> fields)
        {
            foreach (var node in body.DescendantNodes())
            {
                if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: ElementAccessExpressionSyntax element } access }
                    && access.Name.Identifier.ValueText == releaseName && NamesField(element.Expression, fields))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool ContainsCall(SyntaxNode node, string releaseName)
        {
            foreach (var inner in node.DescendantNodes())
            {
                if (inner is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } && access.Name.Identifier.ValueText == releaseName)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The local, or field of this instance, that <paramref name="container"/> names.</summary>
        private static ISymbol? ContainerSymbol(IOperation? container)
            => container.WalkDownConversions() switch
            {
                ILocalReferenceOperation local => local.Local,
                IFieldReferenceOperation { Field.IsStatic: false, Instance: IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };

        private static ITypeSymbol? TypeOf(ISymbol symbol)
            => symbol switch
            {
                ILocalSymbol local => local.Type,
                IFieldSymbol field => field.Type,
                _ => null,
            };

        private static bool RefersTo(IOperation? operation, ISymbol symbol)
        {
            operation = operation.WalkDownConversions();
            switch (operation)
            {
                case ILocalReferenceOperation local:
                    return SymbolEqualityComparer.Default.Equals(local.Local, symbol);
                case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                    return SymbolEqualityComparer.Default.Equals(field.Field, symbol);
                case IParameterReferenceOperation parameter:
                    return SymbolEqualityComparer.Default.Equals(parameter.Parameter, symbol);
                case IInvocationOperation view when view.TargetMethod.Name is "AsSpan" or "ToArray" or "ToList":
                    // CollectionsMarshal.AsSpan(list), list.ToArray(): the same elements.
                    return RefersTo(view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null), symbol);
                default:
                    return false;
            }
        }

        /// <summary>The finally releases every element of the container: a loop over it, or <c>ForEach</c>, or a helper that does.</summary>
        private bool ReleasesElements(IBlockOperation @finally, ISymbol container, PinKind kind, PinApis apis)
            => ReleasesElements((IOperation)@finally, container, kind, apis, helpers: true);

        private bool ReleasesElements(IOperation scope, ISymbol container, PinKind kind, PinApis apis, bool helpers)
        {
            foreach (var operation in scope.Descendants())
            {
                switch (operation)
                {
                    case IInvocationOperation call when helpers && HelperArgument(call, container) is { } parameter
                        && ReleasesParameterElements(call.TargetMethod, parameter, kind, apis):
                        // ReleaseOverflowBuffers(owners, handles, ref count): a helper whose body releases every element
                        // of that parameter (one level; Garnet's BITOP).
                        return true;

                    case IForEachLoopOperation loop when RefersTo(loop.Collection, container) && IterationLocal(loop) is { } element:
                        if (ReleasesIn(loop.Body, kind, apis, instance => instance is ILocalReferenceOperation local && SymbolEqualityComparer.Default.Equals(local.Local, element)))
                        {
                            return true;
                        }

                        break;

                    case ILoopOperation loop when loop is not IForEachLoopOperation:
                        if (ReleasesIn(loop.Body, kind, apis, instance => instance switch
                        {
                            IArrayElementReferenceOperation element => RefersTo(element.ArrayReference, container),
                            IPropertyReferenceOperation { Property.IsIndexer: true } indexer => RefersTo(indexer.Instance, container),
                            _ => false,
                        }))
                        {
                            return true;
                        }

                        break;

                    case IInvocationOperation { TargetMethod.Name: "ForEach" } forEach
                        when RefersTo(forEach.Instance ?? (forEach.Arguments.Length > 0 ? forEach.Arguments[0].Value : null), container):
                        foreach (var argument in forEach.Arguments)
                        {
                            if (Lambda(argument.Value) is { Symbol.Parameters.Length: 1 } lambda
                                && ReleasesIn(lambda.Body, kind, apis, instance => instance is IParameterReferenceOperation parameter
                                    && SymbolEqualityComparer.Default.Equals(parameter.Parameter, lambda.Symbol.Parameters[0])))
                            {
                                return true;
                            }
                        }

                        break;
                }
            }

            return false;
        }

        /// <summary>The parameter of a source helper (a method or local function, not virtual) the container is passed to.</summary>
        private static IParameterSymbol? HelperArgument(IInvocationOperation call, ISymbol container)
        {
            var method = call.TargetMethod;
            if (method.IsVirtual || method.IsAbstract || method.IsOverride || method.DeclaringSyntaxReferences.IsEmpty
                || method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction))
            {
                return null;
            }

            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.None } parameter && RefersTo(argument.Value, container))
                {
                    return parameter;
                }
            }

            return null;
        }

        /// <summary>Once per helper parameter per compilation: the helper's body releases every element of it.</summary>
        private bool ReleasesParameterElements(IMethodSymbol method, IParameterSymbol parameter, PinKind kind, PinApis apis)
            => _helpers.GetOrAdd((method.OriginalDefinition, parameter.Ordinal, kind), key => ComputeReleasesParameterElements(key.Method, key.Ordinal, key.Kind, apis));

        private bool ComputeReleasesParameterElements(IMethodSymbol method, int ordinal, PinKind kind, PinApis apis)
        {
            if (ordinal >= method.Parameters.Length)
            {
                return false;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                if (!apis.Compilation.ContainsSyntaxTree(syntax.SyntaxTree) || BodyOf(ModelFor(apis, syntax.SyntaxTree), syntax) is not { } body)
                {
                    continue;
                }

                if (ReleasesElements(body, method.Parameters[ordinal], kind, apis, helpers: false))
                {
                    return true;
                }
            }

            return false;
        }

        private static IOperation? BodyOf(SemanticModel model, SyntaxNode declaration)
            => model.GetOperation(declaration) switch
            {
                ILocalFunctionOperation local => local.Body ?? (IOperation?)local.IgnoredBody,
                { } body => body,
                null => null,
            };

#pragma warning disable RS1030 // A helper declared in another tree; once per helper parameter per compilation.
        private static SemanticModel ModelFor(PinApis apis, SyntaxTree tree) => apis.Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030

        private static IAnonymousFunctionOperation? Lambda(IOperation value)
            => value.WalkDownConversions() switch
            {
                IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda,
                IAnonymousFunctionOperation lambda => lambda,
                _ => null,
            };

        private static ILocalSymbol? IterationLocal(IForEachLoopOperation loop)
            => loop.LoopControlVariable switch
            {
                IVariableDeclaratorOperation declarator => declarator.Symbol,
                ILocalReferenceOperation local => local.Local,
                _ => null,
            };

        private static bool ReleasesIn(IOperation body, PinKind kind, PinApis apis, System.Func<IOperation?, bool> isElement)
        {
            foreach (var operation in body.DescendantsAndSelf())
            {
                if (operation is IInvocationOperation invocation && apis.IsRelease(kind, invocation.TargetMethod) && isElement(invocation.Instance.WalkDownConversions()))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The finally empties a field container: <c>_handles.Clear()</c> or <c>_handles = …</c>.</summary>
        private static bool Clears(IBlockOperation @finally, ISymbol container)
        {
            foreach (var operation in @finally.Descendants())
            {
                if ((operation is IInvocationOperation { TargetMethod.Name: "Clear" } clear && RefersTo(clear.Instance, container))
                    || (operation is ISimpleAssignmentOperation assignment && RefersTo(assignment.Target, container)))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Disposes(IBlockOperation @finally, ISymbol container)
        {
            foreach (var operation in @finally.Descendants())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Dispose", TargetMethod.Parameters.IsEmpty: true } dispose && RefersTo(dispose.Instance, container))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Declares(IOperation resources, ISymbol symbol)
        {
            foreach (var operation in resources.DescendantsAndSelf())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, symbol))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A local container escapes when a reference to it does anything but use it in place: a member call or
        /// property on it (an extension method's receiver included), an element access, a <c>foreach</c>, a static
        /// helper of <c>Array</c>/<c>CollectionsMarshal</c>, or a new container assigned to it.
        /// </summary>
        private bool Escapes(ISymbol local, FunctionFlow function, PinKind kind, PinApis apis)
        {
            foreach (var reference in function.ReferencesTo(local))
            {
                if (function.NestedFunctionOf(reference) is not null)
                {
                    return true;
                }

                var use = reference;
                while (use.Parent is IConversionOperation or IParenthesizedOperation)
                {
                    use = use.Parent;
                }

                switch (use.Parent)
                {
                    case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, use):
                    case IPropertyReferenceOperation property when ReferenceEquals(property.Instance, use):
                    case IArrayElementReferenceOperation element when ReferenceEquals(element.ArrayReference, use):
                    case IForEachLoopOperation loop when ReferenceEquals(loop.Collection, use):
                        continue;
                    case IArgumentOperation { Parent: IInvocationOperation call } argument
                        when (call.TargetMethod.IsExtensionMethod && ReferenceEquals(call.Arguments[0], argument))
                          || call.TargetMethod.ContainingType?.ToDisplayString() is "System.Array" or "System.Runtime.InteropServices.CollectionsMarshal":
                        continue;
                    case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, use)
                        && assignment.Value.WalkDownConversions() is IObjectCreationOperation or IArrayCreationOperation or ILiteralOperation:
                        continue;
                    case ICoalesceAssignmentOperation coalesce when ReferenceEquals(coalesce.Target, use)
                        && coalesce.Value.WalkDownConversions() is IObjectCreationOperation or IArrayCreationOperation:
                        // handles ??= new MemoryHandle[n]: created on first use.
                        continue;
                    case IArgumentOperation { Parent: IInvocationOperation call, Parameter: { } parameter } argument
                        when HelperArgument(call, local) is { } passed && SymbolEqualityComparer.Default.Equals(passed, parameter)
                          && ReleasesParameterElements(call.TargetMethod, parameter, kind, apis):
                        // Handed to the helper that releases its elements: used in place.
                        continue;
                    default:
                        return true;
                }
            }

            return false;
        }
    }
}
