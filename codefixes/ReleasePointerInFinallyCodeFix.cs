using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN4002 "Release in <c>finally</c>": the statements after <c>AcquirePointer</c> move into a <c>try</c> whose
    /// <c>finally</c> calls <c>ReleasePointer()</c> on the same handle, and the top-level releases they made go away.
    /// The shape of <see cref="FreeInFinallyCodeFix"/> (PIN1002), for the view pointer kind. See docs/rules/PIN4002.md.
    /// </summary>
    /// <remarks>
    /// Offered only when every release of the handle after the acquisition is a statement of the same block (a release
    /// nested in a branch would run twice), no label or local function would move into the try, and the handle is a
    /// local, a parameter or <c>local.SafeMemoryMappedViewHandle</c>.
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleasePointerInFinallyCodeFix)), Shared]
    public sealed class ReleasePointerInFinallyCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN4002.ReleaseInFinally";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN4002ViewPointerNotReleased.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create("Release the view pointer in a finally block", _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
                }
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            if (pin is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AcquirePointer" } acquire }
                || pin.Parent is not ExpressionStatementSyntax statement
                || statement.Parent is not BlockSyntax block)
            {
                return null;
            }

            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            var handle = acquire.Expression;
            if (model is null || Holders(handle, model, cancellationToken) is not { Count: > 0 } holders)
            {
                return null;
            }

            var index = block.Statements.IndexOf(statement);
            var rest = block.Statements.Skip(index + 1).ToList();
            if (rest.Count == 0 || rest.Any(s => s is LabeledStatementSyntax or LocalFunctionStatementSyntax))
            {
                return null;
            }

            var releases = new HashSet<StatementSyntax>();
            foreach (var candidate in rest)
            {
                foreach (var invocation in candidate.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
                {
                    if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ReleasePointer" } release
                        || !Holders(release.Expression, model, cancellationToken).Overlaps(holders))
                    {
                        continue;
                    }

                    if (candidate is not ExpressionStatementSyntax { Expression: var expression } || expression != invocation)
                    {
                        // A release in a branch or a lambda: moving a release into finally would run it twice.
                        return null;
                    }

                    releases.Add(candidate);
                }
            }

            // The try ends at the last release when nothing after it needs what the region declares.
            var protectedCount = rest.Count;
            var last = rest.FindLastIndex(releases.Contains);
            if (last >= 0 && last < rest.Count - 1)
            {
                var region = rest.Take(last + 1).ToList();
                // A using declaration would be disposed at the end of the try instead of the block.
                if (!region.Any(s => s is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword })
                    && !UsesDeclarations(rest.Skip(last + 1), region, model, cancellationToken))
                {
                    protectedCount = last + 1;
                }
            }

            var body = rest.Take(protectedCount).Where(s => !releases.Contains(s)).ToList();
            if (body.Count == 0)
            {
                return null;
            }

            var releaseStatement = ExpressionStatement(InvocationExpression(MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression, handle.WithoutTrivia(), IdentifierName("ReleasePointer"))));
            var statements = new List<StatementSyntax>(block.Statements.Take(index + 1))
            {
                TryStatement(Block(body), List<CatchClauseSyntax>(), FinallyClause(Block(releaseStatement))).WithAdditionalAnnotations(Formatter.Annotation),
            };
            statements.AddRange(rest.Skip(protectedCount));
            return root.ReplaceNode(block, block.WithStatements(List(statements)));
        }

        /// <summary>
        /// The symbols that stand for a view handle: the local or parameter holding it, and the view it was read from
        /// (<c>view.SafeMemoryMappedViewHandle</c>, or a local initialized with that).
        /// </summary>
        private static HashSet<ISymbol> Holders(ExpressionSyntax handle, SemanticModel model, CancellationToken cancellationToken)
        {
            var holders = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            for (var depth = 0; depth < 3; depth++)
            {
                switch (handle)
                {
                    case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SafeMemoryMappedViewHandle", Expression: IdentifierNameSyntax view }:
                        handle = view;
                        continue;
                    case IdentifierNameSyntax identifier:
                        var symbol = model.GetSymbolInfo(identifier, cancellationToken).Symbol;
                        if (symbol is not (ILocalSymbol or IParameterSymbol))
                        {
                            return holders;
                        }

                        holders.Add(symbol);
                        if (symbol is ILocalSymbol { DeclaringSyntaxReferences.Length: 1 } local
                            && local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: MemberAccessExpressionSyntax initializer })
                        {
                            handle = initializer;
                            continue;
                        }

                        return holders;
                    default:
                        return holders;
                }
            }

            return holders;
        }

        private static bool UsesDeclarations(IEnumerable<StatementSyntax> users, List<StatementSyntax> declarers, SemanticModel model, CancellationToken cancellationToken)
        {
            var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(declarers[0].SpanStart, declarers[declarers.Count - 1].Span.End);
            foreach (var identifier in users.SelectMany(u => u.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()))
            {
                if (model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol local
                    && local.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == identifier.SyntaxTree && span.Contains(r.Span)))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
