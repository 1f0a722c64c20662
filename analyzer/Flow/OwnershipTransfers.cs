using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// A pin handed to an object that takes it over (DESIGN.md, "What outlives and escapes mean"): a handle passed to a
    /// constructor of the compilation that stores that parameter in a field of the new object, when the type releases
    /// that field somewhere (<c>_pin.Free()</c>, <c>_memory.Dispose()</c>) — Garnet's
    /// <c>return new PreparedVectorData(pin, array, n);</c> disposed by the caller's <c>using</c>, or an I/O
    /// completion context that frees the handle when the write ends. Also one level through a method whose body only
    /// returns such a construction (<c>CreateContext(GCHandle h) =&gt; new(callback, h)</c>). From then on the object
    /// owns the pin: the hand-over is the pin's release on its path (<see cref="ReleasePaths"/>), and a path that misses
    /// it still leaks.
    /// </summary>
    /// <remarks>By syntax over the type's declarations, once per constructor or method per compilation.</remarks>
    internal static class OwnershipTransfers
    {
        private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<(IMethodSymbol Method, int Ordinal), bool>> s_byCompilation = new();

        /// <summary>True when <paramref name="method"/> takes over the pin passed as <paramref name="parameter"/>.</summary>
        internal static bool Adopts(IMethodSymbol method, IParameterSymbol? parameter, PinKind kind, PinApis apis)
        {
            // By value, or by ref/in to a constructor that copies it (ImageSharp's new OwnedVp8LHistogram(owner, ref handle, …)).
            if (parameter is null || parameter.RefKind == RefKind.Out || (parameter.RefKind != RefKind.None && method.MethodKind != MethodKind.Constructor) || kind is not (PinKind.GCHandle or PinKind.TypedHandle or PinKind.MemoryHandle)
                || method.MethodKind is not (MethodKind.Constructor or MethodKind.Ordinary) || method.IsStatic && method.MethodKind == MethodKind.Constructor)
            {
                return false;
            }

            if (kind == PinKind.GCHandle && method.MethodKind == MethodKind.Constructor && parameter.Name == "handle"
                && method.ContainingType is { Name: "MemoryHandle", ContainingNamespace.Name: "Buffers" } && apis.IsGCHandle(parameter.Type))
            {
                // new MemoryHandle(pointer, handle): the MemoryHandle frees the GCHandle when it is disposed (StackExchange.Redis'
                // BlockBuffer.Pin returns it; the caller's Pin() is judged).
                return true;
            }

            var definition = method.OriginalDefinition;
            if (definition.DeclaringSyntaxReferences.IsEmpty || parameter.Ordinal >= definition.Parameters.Length)
            {
                return false;
            }

            var cache = s_byCompilation.GetValue(apis.Compilation, _ => new ConcurrentDictionary<(IMethodSymbol, int), bool>(new Comparer()));
            return cache.GetOrAdd((definition, parameter.Ordinal), key => Compute(key.Method, key.Method.Parameters[key.Ordinal], kind, apis, depth: 0));
        }

        private static bool Compute(IMethodSymbol method, IParameterSymbol parameter, PinKind kind, PinApis apis, int depth)
        {
            if (method.MethodKind == MethodKind.Constructor)
            {
                return ConstructorAdopts(method, parameter.Name, ReleaseNameOf(kind));
            }

            // One level: a method whose body is `=> new T(…, p, …)` or `{ return new T(…, p, …); }`.
            if (depth > 0)
            {
                return false;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not MethodDeclarationSyntax declaration || ReturnedCreation(declaration) is not { } creation
                    || !apis.Compilation.ContainsSyntaxTree(creation.SyntaxTree)
                    || ModelFor(apis, creation.SyntaxTree).GetOperation(creation) is not IObjectCreationOperation { Constructor: { } constructor } operation)
                {
                    return false;
                }

                var passed = false;
                foreach (var argument in operation.Arguments)
                {
                    if (argument.Value.WalkDownConversions() is IParameterReferenceOperation reference2
                        && reference2.Parameter.Name == parameter.Name && argument.Parameter is { } target)
                    {
                        if (!Compute(constructor.OriginalDefinition, target, kind, apis, depth + 1))
                        {
                            return false;
                        }

                        passed = true;
                    }
                }

                // Any other use of the parameter in the body (it is one expression) would have been an argument too.
                return passed;
            }

            return false;
        }

#pragma warning disable RS1030 // One level into a helper of another tree, once per method per compilation (as PinSummaries).
        private static SemanticModel ModelFor(PinApis apis, SyntaxTree tree) => apis.Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030

        private static ExpressionSyntax? ReturnedCreation(MethodDeclarationSyntax declaration)
        {
            var value = declaration.ExpressionBody?.Expression
                ?? (declaration.Body is { Statements: { Count: 1 } statements } && statements[0] is ReturnStatementSyntax { Expression: { } returned } ? returned : null);
            return value is BaseObjectCreationExpressionSyntax ? value : null;
        }

        /// <summary>The constructor assigns the parameter to a field of the instance, and the type releases that field.</summary>
        private static bool ConstructorAdopts(IMethodSymbol constructor, string parameter, string releaseName)
        {
            string? field = null;
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not ConstructorDeclarationSyntax declaration)
                {
                    continue;
                }

                foreach (var node in declaration.DescendantNodes())
                {
                    if (node is AssignmentExpressionSyntax { Right: IdentifierNameSyntax value } assignment && value.Identifier.ValueText == parameter
                        && assignment.Left switch
                        {
                            IdentifierNameSyntax name => name.Identifier.ValueText != parameter ? name.Identifier.ValueText : null,
                            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
                            _ => null,
                        } is { } stored)
                    {
                        field = stored;
                    }
                }
            }

            return field is not null && !constructor.ContainingType.GetMembers(field).IsEmpty && TypeReleases(constructor.ContainingType, field, releaseName);
        }

        private static readonly string[] s_setups = { "GlobalSetup", "IterationSetup", "SetUp", "OneTimeSetUp", "TestInitialize", "ClassInitialize" };
        private static readonly string[] s_cleanups = { "GlobalCleanup", "IterationCleanup", "TearDown", "OneTimeTearDown", "TestCleanup", "ClassCleanup" };

        /// <summary>
        /// A pin a benchmark or test fixture makes in its setup method (<c>[GlobalSetup]</c>, <c>[IterationSetup]</c>,
        /// NUnit's <c>[SetUp]</c>/<c>[OneTimeSetUp]</c>, MSTest's <c>[TestInitialize]</c>/<c>[ClassInitialize]</c>) and keeps
        /// in fields that the matching cleanup method of the type releases: its lifetime is the run the attributes
        /// bracket, not the application's (ImageSharp's and Garnet's benchmarks).
        /// </summary>
        internal static bool FixtureScoped(PinFate fate)
        {
            var site = fate.Site;
            if (fate.Sinks.IsDefaultOrEmpty
                || site.Operation.SemanticModel?.GetEnclosingSymbol(site.Syntax.SpanStart) is not IMethodSymbol { ContainingType: { } type } method
                || !HasAttribute(method, s_setups))
            {
                return false;
            }

            var held = false;
            foreach (var sink in fate.Sinks)
            {
                // handles[c] = GCHandle.Alloc(…) in a setup loop: a slot of an array field, released element-wise by the
                // cleanup (NAudio's AsioCallbackBenchmarks). Outside a loop, a plain field.
                IFieldSymbol? field;
                var element = false;
                switch (sink.Operation)
                {
                    case ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: var plain } } when sink.Kind == PinSinkKind.Field && fate.Loop is null:
                        field = plain;
                        break;
                    case ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation { ArrayReference: IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: var slots } } } when sink.Kind == PinSinkKind.ArrayElement:
                        field = slots;
                        element = true;
                        break;
                    default:
                        return false;
                }

                if (sink.IsAddress)
                {
                    continue;
                }

                if (!CleanupReleases(type, field.Name, ReleaseNameOf(site.Kind), element))
                {
                    return false;
                }

                held = true;
            }

            return held;
        }

        private static bool HasAttribute(IMethodSymbol method, string[] names)
        {
            foreach (var attribute in method.GetAttributes())
            {
                var name = attribute.AttributeClass?.Name;
                if (name is null)
                {
                    continue;
                }

                if (name.EndsWith("Attribute", System.StringComparison.Ordinal))
                {
                    name = name.Substring(0, name.Length - "Attribute".Length);
                }

                if (System.Array.IndexOf(names, name) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool CleanupReleases(INamedTypeSymbol type, string field, string releaseName, bool elements = false)
        {
            for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers())
                {
                    if (member is not IMethodSymbol cleanup || !HasAttribute(cleanup, s_cleanups))
                    {
                        continue;
                    }

                    foreach (var reference in cleanup.DeclaringSyntaxReferences)
                    {
                        if (ReleasesIn(reference.GetSyntax(), field, releaseName, elements))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>The release name of a pin kind's handle: <c>Free</c> for a <c>GCHandle</c>, <c>Dispose</c> otherwise.</summary>
        internal static string ReleaseNameOf(PinKind kind) => kind == PinKind.GCHandle ? "Free" : "Dispose";

        /// <summary>
        /// A field of a ref struct that holds a pin its type releases (Garnet's <c>RespMemoryWriter</c>, disposed by its
        /// user's <c>using</c>): the owner lives on the stack, so the pin lives no longer than the frame that holds it.
        /// True when some member of the type releases a field of the pin's handle type.
        /// </summary>
        internal static bool StackOwnerReleases(IFieldSymbol field, PinKind kind, PinApis apis)
        {
            var type = field.ContainingType;
            if (field.IsStatic || !type.IsRefLikeType || kind is not (PinKind.GCHandle or PinKind.TypedHandle or PinKind.MemoryHandle))
            {
                return false;
            }

            foreach (var member in type.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false } holder
                    && (kind == PinKind.GCHandle ? apis.IsGCHandle(holder.Type) : kind == PinKind.TypedHandle ? apis.IsPinnedGCHandle(holder.Type) : apis.IsMemoryHandle(holder.Type))
                    && TypeReleases(type, holder.Name, ReleaseNameOf(kind)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Some member of <paramref name="type"/> calls <paramref name="releaseName"/> on the field (<c>_pin.Free()</c>, <c>_pin?.Free()</c>).</summary>
        internal static bool TypeReleases(INamedTypeSymbol type, string field, string releaseName)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (ReleasesIn(reference.GetSyntax(), field, releaseName))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Somewhere in <paramref name="scope"/>: <c>field.Release()</c>, <c>this.field.Release()</c> or <c>field?.Release()</c>.</summary>
        private static bool ReleasesIn(SyntaxNode scope, string field, string releaseName, bool elements = false)
        {
            foreach (var node in scope.DescendantNodes())
            {
                if (node is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } call && call.Expression switch
                    {
                        MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name, Expression: var target } => name == releaseName && Names(target, field, elements),
                        MemberBindingExpressionSyntax { Name.Identifier.ValueText: var name } => name == releaseName
                            && call.Parent is ConditionalAccessExpressionSyntax { Expression: var guarded } && Names(guarded, field, elements),
                        _ => false,
                    })
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// <paramref name="target"/> is the field (<c>field</c>, <c>this.field</c>), or with <paramref name="elements"/> one of its
        /// elements: <c>field[i]</c>, or the variable of a <c>foreach</c> over it.
        /// </summary>
        private static bool Names(ExpressionSyntax target, string field, bool elements = false)
            => target switch
            {
                ElementAccessExpressionSyntax { Expression: var array } when elements => Names(array, field),
                IdentifierNameSyntax name when elements && name.Identifier.ValueText != field => IsForEachOver(name, field),
                IdentifierNameSyntax name => name.Identifier.ValueText == field,
                MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => !elements && name.Identifier.ValueText == field,
                _ => false,
            };

        private static bool IsForEachOver(IdentifierNameSyntax variable, string field)
        {
            for (var node = variable.Parent; node is not null; node = node.Parent)
            {
                if (node is ForEachStatementSyntax loop && loop.Identifier.ValueText == variable.Identifier.ValueText)
                {
                    return Names(loop.Expression, field);
                }
            }

            return false;
        }

        private sealed class Comparer : System.Collections.Generic.IEqualityComparer<(IMethodSymbol Method, int Ordinal)>
        {
            public bool Equals((IMethodSymbol Method, int Ordinal) x, (IMethodSymbol Method, int Ordinal) y)
                => x.Ordinal == y.Ordinal && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

            public int GetHashCode((IMethodSymbol Method, int Ordinal) obj)
                => (SymbolEqualityComparer.Default.GetHashCode(obj.Method) * 31) + obj.Ordinal;
        }
    }
}
