using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The shape every PinAnalyzers analyzer shares: concurrent, no generated code, the pin APIs resolved
    /// once per compilation, and nothing registered when the compilation has none.
    /// </summary>
    /// <remarks>
    /// Cost follows pin sites, not code size: a code block is first scanned as syntax for a candidate (a call
    /// named <c>Alloc</c>, a <c>fixed</c> declarator, …). Only a block with a candidate gets operations, and
    /// only one with a confirmed site gets a <see cref="MethodFlow"/> — one control-flow graph per function,
    /// shared by all of its sites. No operation action is registered, so code without pins never makes
    /// the compiler build operation trees on our behalf.
    /// </remarks>
    public abstract class PinAnalyzerBase : DiagnosticAnalyzer
    {
        public sealed override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var apis = PinApis.Create(start.Compilation);
                if (apis is not null)
                {
                    OnCompilationStart(start, apis);
                }
            });
        }

        private protected abstract void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis);

        /// <summary>
        /// Registers pin-site analysis per code block. <paramref name="mayBeSite"/> is a syntactic filter that must
        /// be cheap and may over-approximate; <paramref name="findSite"/> confirms a candidate's operation by
        /// symbol; <paramref name="analyze"/> runs once per function tree that has confirmed sites.
        /// </summary>
        private protected static void RegisterPinSites(
            CompilationStartAnalysisContext context,
            Func<SyntaxNode, bool> mayBeSite,
            Func<IOperation, PinSite?> findSite,
            Action<Action<Diagnostic>, MethodFlow, IReadOnlyList<PinSite>> analyze)
        {
            context.RegisterCodeBlockAction(codeBlock =>
            {
                var cancellationToken = codeBlock.CancellationToken;
                Dictionary<IOperation, List<PinSite>>? byRoot = null;
                foreach (var node in codeBlock.CodeBlock.DescendantNodesAndSelf())
                {
                    if (!mayBeSite(node) || codeBlock.SemanticModel.GetOperation(node, cancellationToken) is not { } operation
                        || findSite(operation) is not { } site)
                    {
                        continue;
                    }

                    var root = operation.Root();
                    byRoot ??= new Dictionary<IOperation, List<PinSite>>();
                    if (!byRoot.TryGetValue(root, out var sites))
                    {
                        sites = new List<PinSite>();
                        byRoot.Add(root, sites);
                    }

                    sites.Add(site);
                }

                if (byRoot is null)
                {
                    return;
                }

                foreach (var pair in byRoot)
                {
                    var method = new MethodFlow(new[] { pair.Key }, root => GraphOf(root, cancellationToken), cancellationToken);
                    analyze(codeBlock.ReportDiagnostic, method, pair.Value);
                }
            });
        }

        /// <summary>The name a call is made by: <c>Alloc</c> for <c>GCHandle.Alloc(...)</c>, <c>x?.Pin()</c>, <c>Alloc&lt;T&gt;()</c>.</summary>
        private protected static string? CalledName(SyntaxNode node)
            => node is InvocationExpressionSyntax invocation
                ? invocation.Expression switch
                {
                    MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                    MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
                    SimpleNameSyntax simple => simple.Identifier.ValueText,
                    _ => null,
                }
                : null;

        /// <summary>The control-flow graph of an operation tree root, or null when Roslyn cannot build one for it.</summary>
        private static ControlFlowGraph? GraphOf(IOperation root, CancellationToken cancellationToken)
        {
            if (root.Parent is not null || root.SemanticModel is null)
            {
                return null;
            }

            try
            {
                return root switch
                {
                    IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
                    IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor, cancellationToken),
                    IBlockOperation block => ControlFlowGraph.Create(block, cancellationToken),
                    IFieldInitializerOperation field => ControlFlowGraph.Create(field, cancellationToken),
                    IPropertyInitializerOperation property => ControlFlowGraph.Create(property, cancellationToken),
                    IParameterInitializerOperation parameter => ControlFlowGraph.Create(parameter, cancellationToken),
                    _ => null,
                };
            }
            catch (ArgumentException)
            {
                // A tree shape the graph builder does not take (broken code): judge without a graph.
                return null;
            }
        }

        /// <summary>
        /// True for syntax that names the generic type <paramref name="typeName"/> in an object creation, or a target-typed
        /// <c>new(x)</c>. (A using alias for the type is not seen.)
        /// </summary>
        private protected static bool CreatesType(SyntaxNode node, string typeName)
            => node switch
            {
                ObjectCreationExpressionSyntax creation => creation.Type switch
                {
                    GenericNameSyntax generic => generic.Identifier.ValueText == typeName,
                    QualifiedNameSyntax { Right: GenericNameSyntax right } => right.Identifier.ValueText == typeName,
                    AliasQualifiedNameSyntax { Name: GenericNameSyntax aliased } => aliased.Identifier.ValueText == typeName,
                    _ => false,
                },

                // new(buffer): the type is known only to the compiler; a single argument is rare enough to ask.
                ImplicitObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 1 } => true,
                _ => false,
            };

        /// <summary>A declarator of a <c>fixed</c> statement.</summary>
        private protected static bool IsFixedDeclarator(SyntaxNode node)
            => node is VariableDeclaratorSyntax { Parent.Parent: FixedStatementSyntax };

        /// <summary>Registers a callback for invocations whose called name is one of <paramref name="names"/>, with their operation.</summary>
        private protected static void RegisterCallsNamed(CompilationStartAnalysisContext context, Action<IInvocationOperation, Action<Diagnostic>, CancellationToken> analyze, params string[] names)
        {
            context.RegisterSyntaxNodeAction(
                nodeContext =>
                {
                    var name = CalledName(nodeContext.Node);
                    if (name is null || Array.IndexOf(names, name) < 0)
                    {
                        return;
                    }

                    if (nodeContext.SemanticModel.GetOperation(nodeContext.Node, nodeContext.CancellationToken) is IInvocationOperation invocation)
                    {
                        analyze(invocation, nodeContext.ReportDiagnostic, nodeContext.CancellationToken);
                    }
                },
                SyntaxKind.InvocationExpression);
        }
    }
}
