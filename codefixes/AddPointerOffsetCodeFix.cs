using System.Collections.Immutable;
using System.Composition;
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
    /// PIN4003 "Add <c>PointerOffset</c>": <c>p += view.PointerOffset;</c> right after
    /// <c>view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);</c>. The pointer is a <c>byte*</c>, so the offset is in
    /// bytes; <c>ReleasePointer()</c> does not take the pointer, so nothing else changes. See docs/rules/PIN4003.md.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddPointerOffsetCodeFix)), Shared]
    public sealed class AddPointerOffsetCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN4003.AddPointerOffset";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN4003ViewPointerWithoutPointerOffset.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create("Add the view's PointerOffset to the pointer", _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
                }
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            if (pin is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AcquirePointer" } acquire, ArgumentList.Arguments: { Count: 1 } arguments }
                || pin.Parent is not ExpressionStatementSyntax statement
                || statement.Parent is not BlockSyntax block)
            {
                return null;
            }

            var pointer = arguments[0];
            if (!pointer.RefKindKeyword.IsKind(SyntaxKind.RefKeyword) || pointer.Expression is not (IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }))
            {
                return null;
            }

            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null || View(acquire.Expression, model, cancellationToken) is not { } view)
            {
                return null;
            }

            var offset = ExpressionStatement(AssignmentExpression(
                    SyntaxKind.AddAssignmentExpression,
                    pointer.Expression.WithoutTrivia(),
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, view.WithoutTrivia(), IdentifierName("PointerOffset"))))
                .WithAdditionalAnnotations(Formatter.Annotation);
            return root.ReplaceNode(block, block.WithStatements(block.Statements.Insert(block.Statements.IndexOf(statement) + 1, offset)));
        }

        /// <summary>
        /// The view whose <c>PointerOffset</c> applies: <c>view</c> of <c>view.SafeMemoryMappedViewHandle</c>, directly or
        /// through a local initialized with it.
        /// </summary>
        private static ExpressionSyntax? View(ExpressionSyntax handle, SemanticModel model, CancellationToken cancellationToken)
        {
            if (handle is IdentifierNameSyntax local
                && model.GetSymbolInfo(local, cancellationToken).Symbol is ILocalSymbol { DeclaringSyntaxReferences.Length: 1 } symbol
                && symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } initializer })
            {
                handle = initializer;
            }

            if (handle is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SafeMemoryMappedViewHandle", Expression: var view }
                && view is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
                && model.GetTypeInfo(view, cancellationToken).Type is { } type
                && type.GetMembers("PointerOffset").Length > 0)
            {
                return view;
            }

            return null;
        }
    }
}
